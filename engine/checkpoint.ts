// Named tensors in the safetensors format: an 8-byte little-endian header length, a JSON
// header ({name: {dtype, shape, data_offsets}}, plus string "__metadata__"), then raw
// little-endian data. Files are written to a temporary name and renamed, so a crash never
// leaves a half-written checkpoint under the real name. The metadata's "checksum" (SHA-256 of
// the data) is verified on reading, so flipped bytes are found at load, not as NaN later.
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { Tensor } from './tensor.js';

export type HostArray = Float32Array | Float64Array | Int32Array;
export interface HostTensor { shape: number[]; data: HostArray }

const DTYPES = { F32: Float32Array, F64: Float64Array, I32: Int32Array } as const;
type DType = keyof typeof DTYPES;

function dtypeOf(a: HostArray): DType {
  return a instanceof Float32Array ? 'F32' : a instanceof Float64Array ? 'F64' : 'I32';
}

export class CheckpointError extends Error {}

const bytesOf = (d: HostArray) => new Uint8Array(d.buffer, d.byteOffset, d.byteLength);

/** Writes host arrays and string metadata (plus the data's checksum) to `path` atomically; the temporary file never stays. */
export function writeSafetensors(path: string, entries: Record<string, HostTensor>, metadata: Record<string, string> = {}): void {
  const names = Object.keys(entries).sort();
  const hash = createHash('sha256');
  for (const name of names) hash.update(bytesOf(entries[name].data));
  const header: Record<string, unknown> = { __metadata__: { ...metadata, checksum: `sha256:${hash.digest('hex')}` } };
  let offset = 0;
  for (const name of names) {
    const { shape, data } = entries[name];
    if (shape.reduce((a, b) => a * b, 1) !== data.length) throw new RangeError(`checkpoint entry '${name}': shape [${shape}] does not match ${data.length} values`);
    header[name] = { dtype: dtypeOf(data), shape, data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);   // keeps the data 8-byte aligned
  const head = Buffer.alloc(8 + Buffer.byteLength(json));
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)), 0);
  head.write(json, 8);
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, head);
      for (const name of names) writeSync(fd, bytesOf(entries[name].data));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    const err = e as NodeJS.ErrnoException;
    throw new CheckpointError(`${path}: cannot write (${err.code === 'ENOSPC' ? 'ENOSPC: no space left on the device' : err.message})`);
  }
}

/**
 * Reads and checks a safetensors file: every entry's offsets, dtype and shape must agree, and the
 * data its checksum, when the header holds one (files of other programs may not). The metadata
 * comes back as written, without the checksum.
 */
export function readSafetensors(path: string): { tensors: Record<string, HostTensor>; metadata: Record<string, string> } {
  let buf: Buffer;
  try { buf = readFileSync(path); } catch (e) { throw new CheckpointError(`${path}: cannot read checkpoint (${(e as Error).message})`); }
  if (buf.length < 8) throw new CheckpointError(`${path}: truncated checkpoint (${buf.length} bytes, no header)`);
  const headerLen = Number(buf.readBigUInt64LE(0));
  if (8 + headerLen > buf.length) throw new CheckpointError(`${path}: truncated checkpoint (header of ${headerLen} bytes, file of ${buf.length})`);
  let header: Record<string, any>;
  try { header = JSON.parse(buf.subarray(8, 8 + headerLen).toString('utf8')); } catch (e) {
    throw new CheckpointError(`${path}: corrupt checkpoint header (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw new CheckpointError(`${path}: corrupt checkpoint header (not a JSON object)`);
  const raw = header.__metadata__ ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw) || Object.values(raw).some((v) => typeof v !== 'string')) {
    throw new CheckpointError(`${path}: corrupt checkpoint header (__metadata__ must map names to strings)`);
  }
  const { checksum, ...metadata } = raw as Record<string, string>;
  const dataStart = 8 + headerLen, dataLen = buf.length - dataStart;
  const entries: Array<{ name: string; b: number; f: number; shape: number[]; Ctor: (typeof DTYPES)[DType] }> = [];
  for (const [name, e] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const fail = (msg: string): never => { throw new CheckpointError(`${path}: entry '${name}' ${msg}`); };
    if (e === null || typeof e !== 'object') fail('is not an object');
    const Ctor = DTYPES[e.dtype as DType];
    if (!Ctor) fail(`has unsupported dtype ${JSON.stringify(e.dtype)}`);
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`has shape ${JSON.stringify(shape)}, not a list of sizes`);
    const count = (shape as number[]).reduce((x, y) => x * y, 1);
    const [b, f] = Array.isArray(e.data_offsets) && e.data_offsets.length === 2 ? e.data_offsets : [];
    if (!(Number.isSafeInteger(b) && Number.isSafeInteger(f) && b >= 0 && f >= b)) fail(`has invalid data_offsets ${JSON.stringify(e.data_offsets)}`);
    if (f > dataLen) throw new CheckpointError(`${path}: truncated checkpoint (entry '${name}' ends at ${f}, data holds ${dataLen} bytes)`);
    if (f - b !== count * Ctor.BYTES_PER_ELEMENT) fail(`shape [${shape}] (${e.dtype}) does not match its ${f - b} bytes`);
    entries.push({ name, b, f, shape, Ctor });
  }
  // The entries must tile the data: no overlap, no gap, nothing after the last.
  entries.sort((x, y) => x.b - y.b || x.f - y.f);
  let end = 0;
  for (const { name, b, f } of entries) {
    if (b < end) throw new CheckpointError(`${path}: entry '${name}' overlaps the entry before it (data_offsets from ${b}, the previous ends at ${end})`);
    if (b > end) throw new CheckpointError(`${path}: ${b - end} bytes before entry '${name}' belong to no entry; the file is corrupt`);
    end = f;
  }
  if (end !== dataLen) throw new CheckpointError(`${path}: ${dataLen - end} bytes after the last entry; the file is corrupt`);
  if (checksum !== undefined) {
    const sum = `sha256:${createHash('sha256').update(buf.subarray(dataStart)).digest('hex')}`;
    if (sum !== checksum) throw new CheckpointError(`${path}: the data does not match the checksum in its header; the file is corrupt`);
  }
  const tensors: Record<string, HostTensor> = {};
  for (const { name, b, f, shape, Ctor } of entries) {
    const data = new Ctor((f - b) / Ctor.BYTES_PER_ELEMENT);
    new Uint8Array(data.buffer).set(buf.subarray(dataStart + b, dataStart + f));
    tensors[name] = { shape, data };
  }
  return { tensors, metadata };
}

/** Saves GPU tensors (read back) and metadata. */
export async function saveTensors(path: string, tensors: Record<string, Tensor>, metadata: Record<string, string> = {}): Promise<void> {
  const entries: Record<string, HostTensor> = {};
  for (const [name, t] of Object.entries(tensors)) entries[name] = { shape: [...t.shape], data: await t.toArray() };
  writeSafetensors(path, entries, metadata);
}

/**
 * Loads a file into existing GPU tensors of the same names and shapes. Every name in `into`
 * must be present with its shape; with `strict`, the file may hold no other names.
 */
export function loadTensors(path: string, into: Record<string, Tensor>, strict = true): Record<string, string> {
  const { tensors, metadata } = readSafetensors(path);
  assignTensors(path, tensors, into, strict);
  return metadata;
}

/** Writes host entries read from `source` into GPU tensors, checking every name and shape. */
export function assignTensors(source: string, tensors: Record<string, HostTensor>, into: Record<string, Tensor>, strict: boolean): void {
  for (const [name, t] of Object.entries(into)) {
    const e = tensors[name];
    if (!e) throw new CheckpointError(`${source}: missing tensor '${name}'`);
    if (e.shape.length !== t.shape.length || e.shape.some((d, i) => d !== t.shape[i])) {
      throw new CheckpointError(`${source}: tensor '${name}' has shape [${e.shape}], the model expects [${t.shape}]`);
    }
    t.write(e.data instanceof Float32Array ? e.data : Float32Array.from(e.data));
  }
  if (strict) {
    const extra = Object.keys(tensors).filter((n) => !(n in into));
    if (extra.length) throw new CheckpointError(`${source}: unexpected tensors ${extra.slice(0, 5).join(', ')}${extra.length > 5 ? ', ...' : ''}`);
  }
}
