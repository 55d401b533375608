import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { crossEntropy, softmax } from '../../engine/ops/loss.js';
import { Random } from '../../engine/random.js';
import { Tensor, tidy } from '../../engine/tensor.js';
import { assertClose, dot, engine, numericGrad, randomArray } from '../helpers.js';
import * as ref from '../reference/loss.js';

await engine();
const rng = new Random(5);

for (const [R, C] of [[1, 1], [1, 10], [7, 3], [33, 13], [256, 1000]]) {
  for (const temperature of [1, 0.3]) {
    test(`softmax [${R}, ${C}] at temperature ${temperature}: forward and backward against float64${R * C < 1000 ? ' and finite differences' : ''}`, async () => {
      const x = randomArray(rng, R * C, 5), w = randomArray(rng, R * C);
      const tx = Tensor.fromArray(x, [R, C], true);
      const y = await tidy(() => {
        const y = softmax(tx, temperature);
        y.backward(Tensor.fromArray(w, [R, C]));
        return y;
      }).toArray();
      const yRef = ref.softmax(x, C, temperature);
      assertClose(y, yRef, 'softmax', 1e-4, 1e-6);
      const dx = await tx.grad!.toArray();
      assertClose(dx, ref.softmaxBackward(yRef, w, C, temperature), 'dx', 1e-3, 1e-5);
      if (R * C < 1000) assertClose(dx, numericGrad((v) => dot(w, ref.softmax(v, C, temperature)), x), 'dx vs finite differences', 1e-3, 1e-5);
    });
  }
}

for (const [N, C] of [[1, 1], [1, 10], [7, 3], [33, 13], [256, 1000]]) {
  for (const eps of [0, 0.1]) {
    test(`cross-entropy [${N}, ${C}] with label smoothing ${eps}: loss and gradient against float64${N * C < 1000 ? ' and finite differences' : ''}`, async () => {
      const logits = randomArray(rng, N * C, 6), labels = Array.from({ length: N }, () => rng.int(C));
      const upstream = 1.7;
      const tl = Tensor.fromArray(logits, [N, C], true);
      const loss = await tidy(() => {
        const loss = crossEntropy(tl, labels, { labelSmoothing: eps });
        loss.backward(Tensor.fromArray([upstream], []));
        return loss;
      }).item();
      assertClose([loss], [ref.crossEntropy(logits, labels, C, eps)], 'loss', 1e-5, 1e-6);
      const dx = await tl.grad!.toArray();
      assertClose(dx, ref.crossEntropyBackward(logits, labels, C, eps, upstream), 'dlogits', 1e-3, 1e-6);
      if (N * C < 1000) {
        assertClose(dx, numericGrad((v) => upstream * ref.crossEntropy(v, labels, C, eps), logits), 'dlogits vs finite differences', 1e-3, 1e-6);
      }
    });
  }
}

test('softmax and cross-entropy stay finite for huge logits', async () => {
  const logits = [1000, -1000, 999, 0, 3e4, -3e4];
  const loss = await crossEntropy(Tensor.fromArray(logits, [2, 3]), [2, 1]).item();
  assertClose([loss], [ref.crossEntropy(logits, [2, 1], 3)], 'loss');
  assertClose(await softmax(Tensor.fromArray(logits, [2, 3])).toArray(), ref.softmax(logits, 3), 'softmax');
});

test('cross-entropy checks the labels against the logits; softmax wants a positive temperature', () => {
  assert.throws(() => softmax(Tensor.zeros([2, 3]), 0), /softmax: temperature 0 must be positive/);
  assert.throws(() => crossEntropy(Tensor.zeros([4, 3]), [0, 1, 2]), /crossEntropy: 3 labels do not match logits \[4, 3\]/);
});

test.run();
