import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { add, axpby, mul, relu, relu6, scale, slice } from '../../engine/ops/elementwise.js';
import { Random } from '../../engine/random.js';
import { Tensor, tidy } from '../../engine/tensor.js';
import { assertClose, engine, randomArray } from '../helpers.js';

await engine();
const rng = new Random(1);

// Sizes that are multiples of 4 take the vec4 entries, the others the scalar ones.
for (const n of [1, 4, 7, 64, 1000, 70001, 70004]) {
  test(`axpby, mul, scale and clamps match float64 at n=${n}`, async () => {
    const a = randomArray(rng, n, 8), b = randomArray(rng, n, 8);
    const [ta, tb] = [Tensor.fromArray(a, [n]), Tensor.fromArray(b, [n])];
    const ref = (f: (x: number, y: number) => number) => Array.from(a, (x, i) => f(x, b[i]));
    assertClose(await axpby(ta, tb, 0.5, -2).toArray(), ref((x, y) => 0.5 * x - 2 * y), 'axpby');
    assertClose(await mul(ta, tb).toArray(), ref((x, y) => x * y), 'mul');
    assertClose(await scale(ta, 3).toArray(), ref((x) => 3 * x), 'scale');
    assertClose(await relu(ta).toArray(), ref((x) => Math.max(0, x)), 'relu');
    assertClose(await relu6(ta).toArray(), ref((x) => Math.min(6, Math.max(0, x))), 'relu6');
  });
}

for (const n of [333, 332]) test(`gradients of a composed expression match the analytic float64 ones at n=${n}`, async () => {
  const a = randomArray(rng, n, 8), b = randomArray(rng, n, 8), w = randomArray(rng, n);
  const ta = Tensor.fromArray(a, [n], true), tb = Tensor.fromArray(b, [n], true);
  tidy(() => {
    // y = relu6(a * b + 2a); loss = sum(w * y), seeded through backward's gradient argument
    const y = relu6(add(mul(ta, tb), scale(ta, 2)));
    y.backward(Tensor.fromArray(w, [n]));
  });
  const ga = new Float64Array(n), gb = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const z = a[i] * b[i] + 2 * a[i];
    const d = z > 0 && z < 6 ? w[i] : 0;
    ga[i] = d * (b[i] + 2); gb[i] = d * a[i];
  }
  assertClose(await ta.grad!.toArray(), ga, 'dL/da');
  assertClose(await tb.grad!.toArray(), gb, 'dL/db');
});

for (const n of [3, 8]) test(`gradients accumulate over two backward passes at n=${n}`, async () => {
  const x = Tensor.fromArray(new Float32Array(n), [n], true);
  for (let k = 0; k < 2; k++) tidy(() => scale(x, 2).backward(Tensor.fromArray(new Float32Array(n).fill(1), [n])));
  assert.equal(Array.from(await x.grad!.toArray()), new Array(n).fill(4));
});

test('slices forward and scatter their gradient back into place', async () => {
  const n = 50, x = randomArray(rng, n), w1 = randomArray(rng, 7), w2 = randomArray(rng, 12);
  const tx = Tensor.fromArray(x, [n], true);
  tidy(() => {
    const a = slice(tx, 3, [7]), b = slice(tx, 5, [3, 4]);   // overlapping slices accumulate
    mul(a, Tensor.fromArray(w1, [7])).backward(Tensor.fromArray(new Float64Array(7).fill(1), [7]));
    mul(b, Tensor.fromArray(w2, [3, 4])).backward(Tensor.fromArray(new Float64Array(12).fill(1), [3, 4]));
  });
  const expect = new Float64Array(n);
  for (let i = 0; i < 7; i++) expect[3 + i] += w1[i];
  for (let i = 0; i < 12; i++) expect[5 + i] += w2[i];
  assertClose(await tx.grad!.toArray(), expect, 'slice gradient');
  assertClose(await slice(tx, 40, [10]).toArray(), x.subarray(40), 'slice values');
  assert.throws(() => slice(tx, 45, [10]), /slice: \[45, 55\) is outside a tensor of 50 elements/);
});

test('shape mismatches name the op and both shapes', () => {
  const a = Tensor.zeros([2, 3]), b = Tensor.zeros([3, 2]);
  assert.throws(() => add(a, b), /add: shapes \[2, 3\] and \[3, 2\] differ/);
});

test('tidy disposes intermediates and keeps the returned tensor', async () => {
  const rt = await engine();
  const x = Tensor.fromArray([1, 2], [2]);
  const before = rt.pool.memory().liveBuffers;
  const y = tidy(() => scale(scale(scale(x, 2), 2), 2));
  assert.is(rt.pool.memory().liveBuffers, before + 1);
  assert.equal(Array.from(await y.toArray()), [8, 16]);
  let inner: Tensor | null = null;
  tidy(() => { inner = scale(x, 1); });
  assert.ok(inner!.disposed);
  assert.throws(() => inner!.buffer, /used after it was disposed/);
});

test.run();
