import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { globalAvgPool } from '../../engine/ops/pool.js';
import { Random } from '../../engine/random.js';
import { Tensor, tidy } from '../../engine/tensor.js';
import { assertClose, dot, engine, numericGrad, randomArray } from '../helpers.js';
import * as ref from '../reference/pool.js';

await engine();
const rng = new Random(3);

for (const shape of [[1, 1, 1, 1], [1, 3, 5, 13], [2, 7, 7, 3], [3, 4, 4, 64], [1, 14, 14, 5]]) {
  test(`global average pool [${shape}]: forward and backward against float64 and finite differences`, async () => {
    const [N, , , C] = shape, n = shape.reduce((a, b) => a * b);
    const x = randomArray(rng, n, 4), w = randomArray(rng, N * C);
    const tx = Tensor.fromArray(x, shape, true);
    const y = await tidy(() => {
      const y = globalAvgPool(tx);
      y.backward(Tensor.fromArray(w, [N, C]));
      return y;
    }).toArray();
    assertClose(y, ref.globalAvgPool(x, shape), 'pooled');
    const dx = await tx.grad!.toArray();
    assertClose(dx, ref.globalAvgPoolBackward(w, shape), 'dx');
    assertClose(dx, numericGrad((v) => dot(w, ref.globalAvgPool(v, shape)), x), 'dx vs finite differences', 1e-4, 1e-5);
  });
}

test('global average pool needs an NHWC tensor', () => {
  assert.throws(() => globalAvgPool(Tensor.zeros([2, 3])), /globalAvgPool: x must have rank 4, got \[2, 3\]/);
});

test.run();
