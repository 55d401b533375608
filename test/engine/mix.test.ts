import { test } from 'uvu';
import { mix, weightedSum } from '../../engine/ops/mix.js';
import * as assert from 'uvu/assert';
import { Random } from '../../engine/random.js';
import { Tensor, tidy } from '../../engine/tensor.js';
import { assertClose, dot, engine, numericGrad, randomArray } from '../helpers.js';
import * as ref from '../reference/mix.js';

await engine();
const rng = new Random(11);

for (const K of [1, 2, 3, 4, 5, 8]) {
  for (const shape of [[1], [7], [3, 37, 3], [2, 32, 32, 17]]) {
    const n = shape.reduce((a, b) => a * b);
    test(`weightedSum of ${K} x [${shape}]: forward and gradients to every candidate and to w`, async () => {
      const xs = Array.from({ length: K }, () => randomArray(rng, n, 3)), w = randomArray(rng, K), g = randomArray(rng, n);
      const txs = xs.map((x) => Tensor.fromArray(x, shape, true)), tw = Tensor.fromArray(w, [K], true);
      const y = await tidy(() => {
        const y = weightedSum(txs, tw);
        y.backward(Tensor.fromArray(g, shape));
        return y;
      }).toArray();
      assertClose(y, ref.weightedSum(xs, w), 'mix', 1e-4, 1e-5);
      const expected = ref.weightedSumBackward(xs, w, g);
      for (let k = 0; k < K; k++) assertClose(await txs[k].grad!.toArray(), expected.dxs[k], `dx${k}`, 1e-5, 1e-6);
      assertClose(await tw.grad!.toArray(), expected.dw, 'dw', 1e-4, 1e-3);
      if (n < 1000) assertClose(await tw.grad!.toArray(), numericGrad((v) => dot(g, ref.weightedSum(xs, v)), w), 'dw vs finite differences', 1e-4, 1e-4);
    });
  }
}

test('mix: gradients reach the logits through the softmax at a temperature, and candidates without gradients are skipped', async () => {
  const K = 6, shape = [5, 3, 3, 6], n = 270, T = 0.7;
  const xs = Array.from({ length: K }, () => randomArray(rng, n, 2)), logits = randomArray(rng, K, 2), g = randomArray(rng, n);
  const txs = xs.map((x, k) => Tensor.fromArray(x, shape, k !== 2)), tl = Tensor.fromArray(logits, [K], true);
  const y = await tidy(() => {
    const y = mix(txs, tl, T);
    y.backward(Tensor.fromArray(g, shape));
    return y;
  }).toArray();
  assertClose(y, ref.mix(xs, logits, T), 'mix');
  const loss = (l: Float64Array) => dot(g, ref.mix(xs, l, T));
  assertClose(await tl.grad!.toArray(), numericGrad(loss, Float64Array.from(logits)), 'dlogits vs finite differences', 1e-3, 1e-4);
  assert.is(txs[2].grad, null);
  const x0 = Float64Array.from(xs[0]);
  const dx0 = numericGrad((v) => dot(g, ref.mix([v, ...xs.slice(1)], logits, T)), x0);
  assertClose(await txs[0].grad!.toArray(), dx0, 'dx0 vs finite differences', 1e-3, 1e-5);
});

test('weightedSum checks shapes and weights', () => {
  const a = Tensor.zeros([2, 3]), b = Tensor.zeros([3, 2]);
  assert.throws(() => weightedSum([a, b], Tensor.zeros([2])), /weightedSum: shapes \[2, 3\] and \[3, 2\] differ/);
  assert.throws(() => weightedSum([a, a], Tensor.zeros([3])), /weightedSum: weights \[3\] for 2 candidates/);
});

test.run();
