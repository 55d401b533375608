// Modules built from the op descriptions (nas/op_layers.ts) against the engine's hand-written
// blocks (engine/nn/blocks.ts): from the same random stream they hold the same named tensors
// (so checkpoints keep loading), and give the same outputs and input gradients, in training and
// eval mode, on odd widths and sizes, with and without a residual.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BasicBlock, MBConv, Skip } from '../../engine/nn/blocks.js';
import type { Module } from '../../engine/nn/module.js';
import { Random } from '../../engine/random.js';
import { Tensor, tidy } from '../../engine/tensor.js';
import { candidateModule } from '../../nas/candidates.js';
import { assertClose, engine } from '../helpers.js';

await engine();
const bn = { eps: 1e-3, momentum: 0.1 };

// Each kind once, with and without its residual; affine and non-affine batch norms alternate (the
// k7 t1 case: its projection BN is affine even in the supernet, as the original).
const cases: Array<[string, number, number, 1 | 2, boolean, (rng: Random, affine: boolean) => Module]> = [
  ['mbconv_k5_t6', 6, 10, 2, false, (rng, affine) => new MBConv(6, 10, 5, 2, 6, rng, { affine, bn })],
  ['mbconv_k3_t3', 7, 7, 1, true, (rng, affine) => new MBConv(7, 7, 3, 1, 3, rng, { affine, bn })],
  ['mbconv_k7_t1', 5, 9, 1, false, (rng, affine) => new MBConv(5, 9, 7, 1, 1, rng, { affine, bn })],
  ['basic_block', 5, 5, 1, false, (rng, affine) => new BasicBlock(5, 5, 1, rng, { affine, bn })],
  ['basic_block', 5, 11, 2, true, (rng, affine) => new BasicBlock(5, 11, 2, rng, { affine, bn })],
  ['skip_connect', 6, 9, 1, true, (rng, affine) => new Skip(6, 9, rng, { affine, bn })],
];

for (const [op, cin, cout, stride, affine, block] of cases) {
  test(`${op} ${cin}->${cout} s${stride}, affine ${affine}: as the engine block`, async () => {
    const ours = candidateModule(op, cin, cout, stride, new Random(4), { affine, bn });
    const theirs = block(new Random(4), affine);
    const a = ours.stateDict(), b = theirs.stateDict();
    assert.equal(Object.keys(a).sort(), Object.keys(b).sort());
    for (const k of Object.keys(b)) assert.equal(Array.from(await a[k].toArray()), Array.from(await b[k].toArray()), k);
    for (const training of [true, false]) {
      ours.train(training); theirs.train(training);
      const outputs: Float32Array[] = [], grads: Float32Array[] = [];
      for (const m of [ours, theirs]) {
        const x = Tensor.randn([2, 7, 7, cin], new Random(8), 1, true);
        const y = tidy(() => {
          const y = m.forward(x);
          y.backward(Tensor.randn(y.shape, new Random(9)));   // the same upstream gradient for both
          return y;
        });
        outputs.push(await y.toArray() as Float32Array);
        grads.push(await x.grad!.toArray() as Float32Array);
        y.dispose(); x.grad!.dispose(); x.dispose();
      }
      assertClose(outputs[0], outputs[1], `${op} output (training ${training})`, 0, 0);
      assertClose(grads[0], grads[1], `${op} input gradient (training ${training})`, 0, 0);
    }
    ours.dispose(); theirs.dispose();
  });
}

test('an unknown op name is an error that lists the known kinds', () => {
  assert.throws(() => candidateModule('mbconv_k9_t6', 4, 4, 1, new Random(1), {}),
    /unknown candidate op 'mbconv_k9_t6'; expected mbconv_k\{3,5,7\}/);
});

test.run();
