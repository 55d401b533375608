// Named tensors in the safetensors format: an 8-byte little-endian header length, a JSON
// header ({name: {dtype, shape, data_offsets}}, plus string "__metadata__"), then raw
// little-endian data. Files are written to a temporary name and renamed, so a crash never
// leaves a half-written checkpoint under the real name.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { Tensor } from './tensor.js';

export type HostArray = Float32Array | Float64Array | Int32Array;
export interface HostTensor { shape: number[]; data: HostArray }

const DTYPES = { F32: Float32Array, F64: Float64Array, I32: Int32Array } as const;
type DType = keyof typeof DTYPES;

function dtypeOf(a: HostArray): DType {
  return a instanceof Float32Array ? 'F32' : a instanceof Float64Array ? 'F64' : 'I32';
}

export class CheckpointError extends Error {}

/** Writes host arrays and string metadata to `path` atomically. */
export function writeSafetensors(path: string, entries: Record<string, HostTensor>, metadata: Record<string, string> = {}): void {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  const names = Object.keys(entries).sort();
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
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, head);
    for (const name of names) {
      const d = entries[name].data;
      writeSync(fd, new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** Reads and checks a safetensors file: every entry's offsets, dtype and shape must agree. */
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
  const dataStart = 8 + headerLen, dataLen = buf.length - dataStart;
  const tensors: Record<string, HostTensor> = {};
  let end = 0;
  for (const [name, e] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const Ctor = DTYPES[e?.dtype as DType];
    if (!Ctor) throw new CheckpointError(`${path}: entry '${name}' has unsupported dtype ${e?.dtype}`);
    const [b, f] = e.data_offsets ?? [];
    const count = (e.shape as number[]).reduce((x, y) => x * y, 1);
    if (!(Number.isInteger(b) && Number.isInteger(f) && b >= 0 && f >= b)) throw new CheckpointError(`${path}: entry '${name}' has invalid data_offsets`);
    if (f > dataLen) throw new CheckpointError(`${path}: truncated checkpoint (entry '${name}' ends at ${f}, data holds ${dataLen} bytes)`);
    if (f - b !== count * Ctor.BYTES_PER_ELEMENT) throw new CheckpointError(`${path}: entry '${name}' shape [${e.shape}] does not match its ${f - b} bytes`);
    const bytes = buf.subarray(dataStart + b, dataStart + f);
    const data = new Ctor(count);
    new Uint8Array(data.buffer).set(bytes);
    tensors[name] = { shape: e.shape, data };
    end = Math.max(end, f);
  }
  if (end !== dataLen) throw new CheckpointError(`${path}: ${dataLen - end} bytes after the last entry; the file is corrupt`);
  return { tensors, metadata: header.__metadata__ ?? {} };
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
