// Checkpoints and model files as a hostile disk or user leaves them: overlapping or gapped data
// offsets, shapes that are not lists of sizes, flipped data bytes (caught by the checksum in the
// header), and a disk that fills during a write (no temporary file stays, the path is named).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors, type HostTensor } from '../../engine/checkpoint.js';
import { Random } from '../../engine/random.js';
import { writeFileAtomic } from '../../nas/io.js';
import { tempDir } from '../cli.js';
import { randomArray } from '../helpers.js';

const dir = tempDir('rel-ckpt');
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
const rng = new Random(3);
const entries = (): Record<string, HostTensor> => ({
  'a.weight': { shape: [3, 5], data: Float32Array.from(randomArray(rng, 15)) },
  'b.bias': { shape: [7], data: Float32Array.from(randomArray(rng, 7)) },
  'c.step': { shape: [1], data: Float64Array.of(12) },
});

/** Rewrites the JSON header of a safetensors file through `edit`, keeping the data. */
function editHeader(path: string, edit: (h: Record<string, any>) => void): void {
  const buf = fs.readFileSync(path), n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString());
  edit(header);
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  fs.writeFileSync(path, Buffer.concat([len, json, buf.subarray(8 + n)]));
}

function written(name: string): string {
  const p = join(dir, name);
  writeSafetensors(p, entries(), { note: 'x' });
  return p;
}

test('a file written and read back holds the same tensors, and its checksum is in the metadata', () => {
  const e = entries(), p = join(dir, 'ok.safetensors');
  writeSafetensors(p, e, { note: 'x' });
  const r = readSafetensors(p);
  for (const [k, t] of Object.entries(e)) assert.equal(Array.from(r.tensors[k].data), Array.from(t.data), k);
  assert.equal(r.metadata, { note: 'x' });
  const buf = fs.readFileSync(p), header = JSON.parse(buf.subarray(8, 8 + Number(buf.readBigUInt64LE(0))).toString());
  assert.match(header.__metadata__.checksum, /^sha256:[0-9a-f]{64}$/);
});

test('overlapping, gapped and out-of-bounds data_offsets are refused naming the entry', () => {
  const p = written('overlap.safetensors');
  editHeader(p, (h) => { h['b.bias'].data_offsets = h['a.weight'].data_offsets.map((x: number) => x); h['b.bias'].shape = [15]; });
  assert.throws(() => readSafetensors(p), /overlaps the entry before it|belong to no entry/);
  const q = written('bounds.safetensors');
  editHeader(q, (h) => { h['c.step'].data_offsets = [h['c.step'].data_offsets[0], h['c.step'].data_offsets[1] + 8]; h['c.step'].shape = [2]; });
  assert.throws(() => readSafetensors(q), /truncated checkpoint \(entry 'c\.step' ends at/);
});

test('a missing or non-list shape, and a shape that does not match the bytes, are refused naming the entry', () => {
  for (const [shape, msg] of [[undefined, /'a\.weight' has shape undefined, not a list of sizes/], ['15', /'a\.weight' has shape "15"/], [[3, -5], /'a\.weight' has shape \[3,-5\]/], [[4, 5], /'a\.weight' shape \[4,5\] \(F32\) does not match its 60 bytes/]] as const) {
    const p = written('shape.safetensors');
    editHeader(p, (h) => { h['a.weight'].shape = shape; });
    assert.throws(() => readSafetensors(p), msg as RegExp);
  }
});

test('flipped data bytes are found by the checksum on loading', () => {
  const p = written('flipped.safetensors');
  const buf = fs.readFileSync(p);
  buf[buf.length - 20] ^= 0x40;
  fs.writeFileSync(p, buf);
  assert.throws(() => readSafetensors(p), /flipped\.safetensors: the data does not match the checksum in its header/);
});

/** Runs `f` with fs.writeSync (and writeFileSync) failing with ENOSPC after `okCalls` successful writes. */
function withFullDisk(okCalls: number, f: () => void): void {
  const { writeSync, writeFileSync } = fs;
  let calls = 0;
  const full = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  (fs as any).writeSync = (...a: unknown[]) => { if (calls++ >= okCalls) throw full(); return (writeSync as any)(...a); };
  (fs as any).writeFileSync = () => { throw full(); };
  syncBuiltinESMExports();
  try { f(); } finally {
    (fs as any).writeSync = writeSync; (fs as any).writeFileSync = writeFileSync;
    syncBuiltinESMExports();
  }
}

test('a disk that fills during a checkpoint or file write leaves no temporary file and names the path', () => {
  const sub = join(dir, 'full');
  fs.mkdirSync(sub);
  const p = join(sub, 'checkpoint.safetensors');
  withFullDisk(1, () => assert.throws(() => writeSafetensors(p, entries()), new RegExp(`${p}: cannot write \\(ENOSPC`)));
  withFullDisk(0, () => assert.throws(() => writeFileAtomic(join(sub, 'net_config.json'), '{}'), /net_config\.json: cannot write \(ENOSPC: no space left on the device\)/));
  assert.equal(fs.readdirSync(sub), [], 'no temporary files left');
});

test.run();
