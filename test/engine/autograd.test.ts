import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { add, mul, scale } from '../../engine/ops/elementwise.js';
import { crossEntropy } from '../../engine/ops/loss.js';
import { matmul } from '../../engine/ops/matmul.js';
import { Random } from '../../engine/random.js';
import { runtime } from '../../engine/runtime.js';
import { Tensor, tidy } from '../../engine/tensor.js';
import { assertClose, engine, randomArray } from '../helpers.js';

await engine();
const rng = new Random(3);

for (const n of [7, 256]) test(`gradients handed to several inputs, summed in place or not, match float64 at n=${n}`, async () => {
  const a = randomArray(rng, n, 2), b = randomArray(rng, n, 2), w = randomArray(rng, n);
  const ta = Tensor.fromArray(a, [n], true), tb = Tensor.fromArray(b, [n], true), seed = Tensor.fromArray(w, [n]);
  for (let pass = 1; pass <= 2; pass++) {
    tidy(() => {
      // u = a + a (one gradient for both inputs), y = u b + reshape(u) + 3a: dy/da = 2b + 5, dy/db = 2a
      const u = add(ta, ta);
      const y = add(add(mul(u, tb), u.reshape([1, n]).reshape([n])), scale(ta, 3));
      y.backward(seed);
    });
    // A second forward and backward adds to the leaves' gradients.
    assertClose(await ta.grad!.toArray(), Array.from(a, (_, i) => pass * w[i] * (2 * b[i] + 5)), `dL/da after ${pass}`);
    assertClose(await tb.grad!.toArray(), Array.from(a, (x, i) => pass * w[i] * 2 * x), `dL/db after ${pass}`);
  }
  assertClose(await seed.toArray(), Float32Array.from(w), 'the caller\'s seed gradient, untouched', 0, 0);
  for (const t of [ta, tb]) { t.grad!.dispose(); t.dispose(); }
  seed.dispose();
});

test('backward through tensors that tidy already disposed names the tensor instead of losing the gradient', () => {
  const w = Tensor.randn([4, 3], rng, 1, true), x = Tensor.randn([5, 4], rng);
  const y = tidy(() => scale(matmul(x, w), 2));   // the product is disposed with the scope
  const seed = Tensor.full(y.shape, 1);
  assert.throws(() => y.backward(seed), (e: Error) => /Tensor\[5, 3\] made by matmul was disposed/.test(e.message));
  assert.is(w.grad, null);
  for (const t of [w, x, y, seed]) t.dispose();
});

test('a second backward over the same graph is an error, and the gradients count once', async () => {
  const n = 9, a = randomArray(rng, n), b = randomArray(rng, n);
  const ta = Tensor.fromArray(a, [n], true), tb = Tensor.fromArray(b, [n]);
  tidy(() => {
    const y = mul(scale(ta, 2), tb);
    const seed = Tensor.full([n], 1);
    y.backward(seed);
    assert.throws(() => y.backward(seed), (e: Error) => /already back-propagated/.test(e.message) && /made by mul/.test(e.message));
  });
  assertClose(await ta.grad!.toArray(), Array.from(b, (x) => 2 * x), 'dL/da');
  ta.grad!.dispose(); ta.dispose(); tb.dispose();
});

test('backward frees each gradient once consumed and hands the leaf its gradient uncopied', () => {
  const n = 1 << 16, bytes = 4 * n, L = 8;
  const x = Tensor.randn([n], rng, 1, true);
  const pool = runtime().pool;
  const base = pool.memory().liveBytes;
  pool.resetPeak();
  tidy(() => {
    let h = x;
    for (let i = 0; i < L; i++) h = scale(h, 1.5);
    h.backward(Tensor.full([n], 1));
  });
  // L activations, the caller's seed and two gradients at a time (the leaf's is the last one,
  // kept): without freeing it would be L activations, the seed, L gradients and a copy.
  const peak = pool.memory().peakBytes - base;
  assert.ok(peak <= (L + 3) * bytes, `peak ${peak / bytes} tensors of ${n} floats, expected at most ${L + 3}`);
  assert.is(pool.memory().liveBytes - base, bytes, 'only the leaf gradient outlives the scope');
  x.grad!.dispose(); x.dispose();
});

test('crossEntropy rejects labels outside [0, classes) and fractional labels, naming the label', () => {
  const logits = Tensor.zeros([3, 4]);
  for (const [labels, bad] of [[[0, 4, 1], 'label 1 is 4'], [[-1, 0, 0], 'label 0 is -1'], [[0, 1, 2.5], 'label 2 is 2.5'],
    [[0, NaN, 1], 'label 1 is NaN']] as const) {
    assert.throws(() => crossEntropy(logits, labels), (e: Error) => e.message.includes(`crossEntropy: ${bad}, not a class id in [0, 4)`));
  }
  logits.dispose();
});

test.run();
