// Reader for the IDX format of (Fashion-)MNIST: a 4-byte magic (0, 0, element type, number of
// dimensions), the dimensions as big-endian uint32, then the elements. Only unsigned bytes
// (type 0x08) occur in these data sets; gzip-compressed files are inflated first.
import * as fs from 'node:fs';
import { gunzipSync } from 'node:zlib';

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

export function readIdx(file: string): IdxArray {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw new Error(`${file}: cannot read (${(e as Error).message})`);
  }
  if (buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf);
    } catch (e) {
      throw new Error(`${file}: corrupt gzip data (${(e as Error).message})`);
    }
  }
  return parseIdx(buf, file);
}

export function parseIdx(buf: Uint8Array, file: string): IdxArray {
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0) throw new Error(`${file}: not an IDX file (bad magic number)`);
  if (buf[2] !== 0x08) throw new Error(`${file}: IDX element type 0x${buf[2].toString(16)} is not unsigned byte (0x08)`);
  const nd = buf[3];
  const header = 4 + 4 * nd;
  if (nd === 0 || buf.length < header) throw new Error(`${file}: truncated IDX header`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < nd; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const n = dims.reduce((a, b) => a * b, 1);
  if (buf.length !== header + n) {
    throw new Error(`${file}: IDX dimensions [${dims.join(', ')}] need ${header + n} bytes, the file has ${buf.length}`);
  }
  return { dims, data: buf.subarray(header) };
}
