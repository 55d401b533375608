import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { narrow } from '../../engine/ops/narrow.js';
import { Random } from '../../engine/random.js';
import { Tensor, tidyAsync } from '../../engine/tensor.js';
import { assertClose, engine, randomArray } from '../helpers.js';

await engine();
const rng = new Random(3);

/** x[..., start:start+len, ...] by nested loops over the row-major index, in float64. */
function narrowRef(x: ArrayLike<number>, shape: number[], axis: number, start: number, len: number): Float64Array {
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1), inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const out = new Float64Array(outer * len * inner);
  let j = 0;
  for (let o = 0; o < outer; o++) for (let a = start; a < start + len; a++) for (let i = 0; i < inner; i++) out[j++] = x[(o * shape[axis] + a) * inner + i];
  return out;
}

const cases: [number[], number, number, number][] = [
  [[7, 7, 18], 0, 1, 5], [[7, 7, 18], 1, 2, 3], [[7, 7, 18], 2, 0, 9], [[24, 37], 1, 0, 11],
  [[24, 37], 0, 12, 12], [[5, 3, 4, 6], 2, 1, 2], [[1000], 0, 3, 997],
];
for (const [shape, axis, start, len] of cases) test(`narrow ${JSON.stringify(shape)} axis ${axis} [${start}, ${start + len}) and its gradient`, async () => {
  const n = shape.reduce((a, b) => a * b, 1);
  const x = randomArray(rng, n), x0 = Tensor.fromArray(x, shape, true);
  const outShape = shape.map((s, i) => (i === axis ? len : s));
  const g = randomArray(rng, outShape.reduce((a, b) => a * b, 1));
  let y: number[] = [];
  await tidyAsync(async () => {
    const out = narrow(x0, axis, start, len);
    assert.equal(out.shape, outShape);
    y = Array.from(await out.toArray());
    out.backward(Tensor.fromArray(g, outShape));
  });
  assertClose(y, narrowRef(x, shape, axis, start, len), 'narrow');
  // the gradient is g placed back in the window, zero elsewhere: narrowing it again gives g
  const dx = await x0.grad!.toArray();
  assertClose(narrowRef(dx, shape, axis, start, len), g, 'grad in the window');
  const total = Array.from(dx).reduce((a, v) => a + Math.abs(v), 0), inside = Array.from(g).reduce((a, v) => a + Math.abs(v), 0);
  assert.ok(Math.abs(total - inside) < 1e-3 * inside, 'the gradient is zero outside the window');
});

test('narrow rejects windows outside the axis', () => {
  const x = Tensor.zeros([4, 6]);
  assert.throws(() => narrow(x, 1, 4, 3), /outside axis 1 of size 6/);
  assert.throws(() => narrow(x, 2, 0, 1), /axis 2 of a tensor of rank 2/);
});

test.run();
