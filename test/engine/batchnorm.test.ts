import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { batchNorm } from '../../engine/ops/batchnorm.js';
import { Random } from '../../engine/random.js';
import { Tensor, tidy } from '../../engine/tensor.js';
import { assertClose, dot, engine, numericGrad, randomArray } from '../helpers.js';
import * as ref from '../reference/batchnorm.js';

await engine();
const rng = new Random(7);

interface Case { shape: number[]; training: boolean; affine: boolean; fd?: boolean; activation?: 'relu' | 'relu6' }

/** Runs forward and backward on the GPU and checks outputs, running stats and gradients. */
async function check({ shape, training, affine, fd, activation }: Case): Promise<void> {
  const what = `[${shape}] ${training ? 'training' : 'eval'} ${affine ? 'affine' : 'plain'}${activation ? ` + ${activation}` : ''}`;
  const C = shape[shape.length - 1], n = shape.reduce((a, b) => a * b);
  // A mean far from zero checks that the variance survives cancellation.
  const x = randomArray(rng, n, 2).map((v) => v + 3);
  const s: ref.BatchNormRef = {
    weight: affine ? randomArray(rng, C, 4) : undefined, bias: affine ? randomArray(rng, C) : undefined,
    runningMean: randomArray(rng, C), runningVar: randomArray(rng, C).map((v) => v + 1.5),
    training, momentum: 0.1, eps: 1e-5, activation,
  };
  const w = randomArray(rng, n);
  const tx = Tensor.fromArray(x, shape, true);
  const tw = affine ? Tensor.fromArray(s.weight!, [C], true) : undefined;
  const tb = affine ? Tensor.fromArray(s.bias!, [C], true) : undefined;
  const rm = Tensor.fromArray(s.runningMean, [C]), rv = Tensor.fromArray(s.runningVar, [C]);
  const y = await tidy(() => {
    const y = batchNorm(tx, { weight: tw, bias: tb, runningMean: rm, runningVar: rv, training, momentum: s.momentum, eps: s.eps, activation });
    y.backward(Tensor.fromArray(w, shape));
    return y;
  }).toArray();
  assertClose(y, ref.batchNorm(x, C, s), `${what} y`, 1e-4, 1e-4);
  const running = training ? ref.updatedRunningStats(x, C, s) : { mean: s.runningMean, variance: s.runningVar };
  assertClose(await rm.toArray(), running.mean, `${what} running mean`);
  assertClose(await rv.toArray(), running.variance, `${what} running var`);

  const expected = ref.batchNormBackward(x, w, C, s);
  assertClose(await tx.grad!.toArray(), expected.dx, `${what} dx`, 1e-3, 1e-4);
  if (affine) {
    assertClose(await tw!.grad!.toArray(), expected.dweight, `${what} dweight`, 1e-3, 1e-3);
    assertClose(await tb!.grad!.toArray(), expected.dbias, `${what} dbias`, 1e-3, 1e-3);
  }
  if (fd) {
    const loss = () => dot(w, ref.batchNorm(x, C, s));
    assertClose(await tx.grad!.toArray(), numericGrad(loss, x), `${what} dx vs finite differences`, 1e-3, 1e-4);
    if (affine) {
      assertClose(await tw!.grad!.toArray(), numericGrad(loss, s.weight!), `${what} dweight vs finite differences`, 1e-3, 1e-3);
      assertClose(await tb!.grad!.toArray(), numericGrad(loss, s.bias!), `${what} dbias vs finite differences`, 1e-3, 1e-3);
    }
  }
  for (const t of [tx, tw, tb, rm, rv]) { t?.grad?.dispose(); t?.dispose(); }
}

for (const training of [true, false]) for (const affine of [true, false]) {
  test(`batch norm ${training ? 'training' : 'eval'}, ${affine ? 'affine' : 'non-affine'}: forward, running stats and gradients against float64 and finite differences`, async () => {
    for (const shape of [[7, 1], [2, 3], [333, 5], [2, 3, 5, 13], [1, 4, 4, 16]]) await check({ shape, training, affine, fd: true });
    // many chunks per channel, both widths
    for (const shape of [[3001, 12], [4, 30, 30, 7]]) await check({ shape, training, affine });
  });
}

test('batch norm with a fused ReLU or ReLU6: forward and gradients against float64 and finite differences', async () => {
  for (const activation of ['relu', 'relu6'] as const) {
    for (const [training, affine] of [[true, true], [true, false], [false, true]]) {
      for (const shape of [[333, 5], [2, 3, 5, 16]]) await check({ shape, training, affine, activation, fd: true });
    }
  }
});

test('batch norm with more rows than the finalize pass takes in chunks of the tuned size', async () => {
  await check({ shape: [70001, 4], training: true, affine: true });
});

test('batch norm: gradients to the affine parameters only, and running statistics over two training steps', async () => {
  const shape = [3, 5, 5, 8], C = 8, n = 600;
  const xs = [randomArray(rng, n, 2), randomArray(rng, n, 2)], w = randomArray(rng, n);
  const s: ref.BatchNormRef = { weight: randomArray(rng, C), bias: randomArray(rng, C), runningMean: new Float64Array(C), runningVar: new Float64Array(C).fill(1), training: true, momentum: 0.3, eps: 1e-3 };
  const tw = Tensor.fromArray(s.weight!, [C], true), tb = Tensor.fromArray(s.bias!, [C], true);
  const rm = Tensor.fromArray(s.runningMean, [C]), rv = Tensor.fromArray(s.runningVar, [C]);
  for (const x of xs) {
    const tx = Tensor.fromArray(x, shape);
    tidy(() => batchNorm(tx, { ...s, weight: tw, bias: tb, runningMean: rm, runningVar: rv }).backward(Tensor.fromArray(w, shape)));
    assert.is(tx.grad, null);
    const next = ref.updatedRunningStats(x, C, s);
    s.runningMean = next.mean; s.runningVar = next.variance;
  }
  assertClose(await rm.toArray(), s.runningMean, 'running mean');
  assertClose(await rv.toArray(), s.runningVar, 'running var');
  const expected = xs.map((x) => ref.batchNormBackward(x, w, C, s));
  assertClose(await tw.grad!.toArray(), expected[0].dweight.map((v, c) => v + expected[1].dweight[c]), 'dweight', 1e-4, 1e-4);
  assertClose(await tb.grad!.toArray(), expected[0].dbias.map((v, c) => v + expected[1].dbias[c]), 'dbias', 1e-4, 1e-4);
});

test('batch norm with a residual added in its output pass: forward and every gradient against float64', async () => {
  for (const [shape, training, affine] of [[[333, 5], true, true], [[2, 3, 5, 16], true, false], [[2, 7, 3, 12], false, true]] as Array<[number[], boolean, boolean]>) {
    const C = shape[shape.length - 1], n = shape.reduce((a, b) => a * b);
    const x = randomArray(rng, n, 2), r = randomArray(rng, n), w = randomArray(rng, n);
    const s: ref.BatchNormRef = {
      weight: affine ? randomArray(rng, C) : undefined, bias: affine ? randomArray(rng, C) : undefined,
      runningMean: randomArray(rng, C), runningVar: randomArray(rng, C).map((v) => v + 1.5), training, momentum: 0.1, eps: 1e-5,
    };
    const tx = Tensor.fromArray(x, shape, true), tr = Tensor.fromArray(r, shape, true);
    const tw = affine ? Tensor.fromArray(s.weight!, [C], true) : undefined, tb = affine ? Tensor.fromArray(s.bias!, [C], true) : undefined;
    const rm = Tensor.fromArray(s.runningMean, [C]), rv = Tensor.fromArray(s.runningVar, [C]);
    const y = await tidy(() => {
      const y = batchNorm(tx, { weight: tw, bias: tb, runningMean: rm, runningVar: rv, training, momentum: s.momentum, eps: s.eps, residual: tr });
      y.backward(Tensor.fromArray(w, shape));
      return y;
    }).toArray();
    const what = `[${shape}] ${training ? 'training' : 'eval'}`;
    assertClose(y, ref.batchNorm(x, C, s).map((v, i) => v + r[i]), `${what} y`, 1e-4, 1e-4);
    const expected = ref.batchNormBackward(x, w, C, s);
    assertClose(await tx.grad!.toArray(), expected.dx, `${what} dx`, 1e-3, 1e-4);
    assertClose(await tr.grad!.toArray(), Float32Array.from(w), `${what} dresidual`, 0, 0);   // passed through unchanged
    if (affine) {
      assertClose(await tw!.grad!.toArray(), expected.dweight, `${what} dweight`, 1e-3, 1e-3);
      assertClose(await tb!.grad!.toArray(), expected.dbias, `${what} dbias`, 1e-3, 1e-3);
    }
    for (const t of [tx, tr, tw, tb, rm, rv]) { t?.grad?.dispose(); t?.dispose(); }
  }
});

test('batch norm refuses mismatched parameters and single-row training', () => {
  const x = Tensor.zeros([4, 3]), c3 = Tensor.zeros([3]), c4 = Tensor.zeros([4]);
  const s = { runningMean: c3, runningVar: c3, training: true, momentum: 0.1, eps: 1e-5 };
  assert.throws(() => batchNorm(x, { ...s, weight: c4, bias: c4 }), /weight \[4\] does not match the 3 channels of x \[4, 3\]/);
  assert.throws(() => batchNorm(x, { ...s, weight: c3 }), /both weight and bias/);
  assert.throws(() => batchNorm(Tensor.zeros([1, 3]), s), /more than one value per channel/);
  assert.throws(() => batchNorm(x, { ...s, residual: Tensor.zeros([4, 3]), activation: 'relu6' }), /residual cannot be combined with a fused activation/);
  assert.throws(() => batchNorm(x, { ...s, residual: Tensor.zeros([3, 3]) }), /residual \[3, 3\] does not match x \[4, 3\]/);
});

test.run();
