import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTensors, readSafetensors, saveTensors, writeSafetensors } from '../../engine/checkpoint.js';
import { Random } from '../../engine/random.js';
import { Tensor } from '../../engine/tensor.js';
import { engine, randomArray } from '../helpers.js';

await engine();
const dir = mkdtempSync(join(tmpdir(), 'ckpt-'));
const rng = new Random(3);
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('GPU tensors round-trip through a safetensors file with metadata', async () => {
  const a = Tensor.fromArray(randomArray(rng, 3 * 5), [3, 5]), b = Tensor.fromArray(randomArray(rng, 7), [7]);
  const path = join(dir, 'm.safetensors');
  await saveTensors(path, { 'layer.weight': a, 'layer.bias': b }, { epoch: '4' });
  const a2 = Tensor.zeros([3, 5]), b2 = Tensor.zeros([7]);
  const meta = loadTensors(path, { 'layer.weight': a2, 'layer.bias': b2 });
  assert.equal(meta, { epoch: '4' });
  assert.equal(Array.from(await a2.toArray()), Array.from(await a.toArray()));
  assert.equal(Array.from(await b2.toArray()), Array.from(await b.toArray()));
});

test('the file follows the safetensors layout byte for byte', () => {
  const path = join(dir, 'layout.safetensors');
  writeSafetensors(path, { x: { shape: [2], data: new Float32Array([1.5, -2]) }, n: { shape: [1], data: new Int32Array([7]) } });
  const buf = readFileSync(path);
  const len = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + len).toString());
  assert.equal(header.n, { dtype: 'I32', shape: [1], data_offsets: [0, 4] });
  assert.equal(header.x, { dtype: 'F32', shape: [2], data_offsets: [4, 12] });
  assert.is(buf.length, 8 + len + 12);
  assert.is(buf.readInt32LE(8 + len), 7);
  assert.is(buf.readFloatLE(8 + len + 4), 1.5);
  assert.is(buf.readFloatLE(8 + len + 8), -2);
  const back = readSafetensors(path);
  assert.equal(Array.from(back.tensors.x.data), [1.5, -2]);
  assert.ok(back.tensors.n.data instanceof Int32Array);
});

test('a truncated file is a clear error naming the file', () => {
  const path = join(dir, 'trunc.safetensors');
  writeSafetensors(path, { x: { shape: [100], data: new Float32Array(100) } });
  const buf = readFileSync(path);
  writeFileSync(path, buf.subarray(0, buf.length - 10));
  assert.throws(() => readSafetensors(path), (e: Error) => e.message.includes(path) && /truncated/.test(e.message));
  writeFileSync(path, buf.subarray(0, 5));
  assert.throws(() => readSafetensors(path), /truncated checkpoint/);
});

test('a corrupt header, a missing tensor and a shape mismatch are clear errors', () => {
  const path = join(dir, 'bad.safetensors');
  writeSafetensors(path, { w: { shape: [2, 3], data: new Float32Array(6) } });
  const buf = Buffer.from(readFileSync(path));
  buf[9] = 0x7b; buf[10] = 0x7b;   // break the JSON
  writeFileSync(join(dir, 'corrupt.safetensors'), buf);
  assert.throws(() => readSafetensors(join(dir, 'corrupt.safetensors')), /corrupt checkpoint header/);
  assert.throws(() => loadTensors(path, { w: Tensor.zeros([3, 2]) }), /tensor 'w' has shape \[2,3\], the model expects \[3,2\]/);
  assert.throws(() => loadTensors(path, { v: Tensor.zeros([6]) }), /missing tensor 'v'/);
  assert.throws(() => loadTensors(path, {}), /unexpected tensors w/);
});

test('a missing file names the path', () => {
  assert.throws(() => readSafetensors(join(dir, 'nope.safetensors')), /nope\.safetensors: cannot read checkpoint/);
});

test.run();
