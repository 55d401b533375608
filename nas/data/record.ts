// The value of one image record in the LMDB (documented in the README):
//
//   byte 0     kind: 1 = raw pixels, 2 = encoded file bytes (PNG, JPEG, WebP... whatever sharp reads)
//   byte 1     channels (raw: 1 or 3; encoded: the channels the image decodes to)
//   bytes 2-3  label, uint16 little-endian
//   bytes 4-5  width, uint16 little-endian
//   bytes 6-7  height, uint16 little-endian
//   bytes 8-   payload: raw pixels row by row, channels interleaved (HWC, uint8), or the file bytes
//
// Storing the size lets the reader draw a crop before decoding; raw pixels let tiny images
// (Fashion-MNIST) skip the per-call cost of a codec.

export const RAW = 1;
export const ENCODED = 2;
export const HEADER_BYTES = 8;

export interface ImageRecord {
  kind: typeof RAW | typeof ENCODED;
  channels: number;
  label: number;
  width: number;
  height: number;
  /** HWC uint8 pixels (raw) or the encoded file bytes. */
  payload: Uint8Array;
}

export function encodeRecord(r: ImageRecord): Buffer {
  for (const [k, v] of [['label', r.label], ['width', r.width], ['height', r.height]] as const) {
    if (!(Number.isInteger(v) && v >= 0 && v <= 0xffff)) throw new RangeError(`record ${k} ${v} does not fit in uint16`);
  }
  const out = Buffer.allocUnsafe(HEADER_BYTES + r.payload.length);
  out[0] = r.kind;
  out[1] = r.channels;
  out.writeUInt16LE(r.label, 2);
  out.writeUInt16LE(r.width, 4);
  out.writeUInt16LE(r.height, 6);
  out.set(r.payload, HEADER_BYTES);
  return out;
}

/** Parses and checks one record; `where` names it in errors (database and key). */
export function decodeRecord(buf: Uint8Array, where: string): ImageRecord {
  if (buf.length < HEADER_BYTES) throw new Error(`${where}: corrupt record (${buf.length} bytes, shorter than its header)`);
  const kind = buf[0];
  const channels = buf[1];
  const label = buf[2] | (buf[3] << 8);
  const width = buf[4] | (buf[5] << 8);
  const height = buf[6] | (buf[7] << 8);
  const payload = buf.subarray(HEADER_BYTES);
  if (kind !== RAW && kind !== ENCODED) throw new Error(`${where}: corrupt record (unknown kind ${kind})`);
  if (width === 0 || height === 0 || channels < 1 || channels > 4) {
    throw new Error(`${where}: corrupt record (size ${width}x${height}x${channels})`);
  }
  if (kind === RAW && payload.length !== width * height * channels) {
    throw new Error(`${where}: corrupt record (${payload.length} pixel bytes for ${width}x${height}x${channels})`);
  }
  return { kind, channels, label, width, height, payload };
}
