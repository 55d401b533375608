// End to end: an MBConv network learns a synthetic separable task, and 200 training steps keep
// the GPU memory flat (every intermediate of a step is released by its scope).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MBConv } from '../../engine/nn/blocks.js';
import { BatchNorm2d, Conv2d, GlobalAvgPool, Linear, ReLU6 } from '../../engine/nn/layers.js';
import { Sequential } from '../../engine/nn/module.js';
import { crossEntropy } from '../../engine/ops/loss.js';
import { SGD } from '../../engine/optim/sgd.js';
import { Random } from '../../engine/random.js';
import { Tensor, tidy } from '../../engine/tensor.js';
import { engine } from '../helpers.js';

const rt = await engine();

/** Class c of 4 lights up quadrant c of an HxW single-channel image, under noise. */
function quadrantBatch(rng: Random, n: number, size: number): { x: Tensor; y: Int32Array } {
  const x = new Float32Array(n * size * size), y = new Int32Array(n);
  const h = size / 2;
  for (let i = 0; i < n; i++) {
    const c = rng.int(4);
    y[i] = c;
    for (let r = 0; r < size; r++) for (let col = 0; col < size; col++) {
      const inQuadrant = (r < h ? 0 : 2) + (col < h ? 0 : 1) === c;
      x[(i * size + r) * size + col] = (inQuadrant ? 1 : 0) + 0.3 * rng.normal();
    }
  }
  return { x: Tensor.fromArray(x, [n, size, size, 1]), y };
}

function net(rng: Random) {
  return new Sequential(
    new Conv2d(1, 8, 3, 1, rng), new BatchNorm2d(8), new ReLU6(),
    new MBConv(8, 16, 3, 2, 3, rng), new MBConv(16, 16, 5, 1, 3, rng),
    new GlobalAvgPool(), new Linear(16, 4, rng),
  );
}

function trainStep(model: Sequential, opt: SGD, x: Tensor, y: Int32Array): Tensor {
  return tidy(() => {
    opt.zeroGrad();
    const loss = crossEntropy(model.forward(x), y);
    loss.backward();
    opt.step();
    return loss;
  });
}

test('an MBConv network learns a separable task: loss falls 5x in 60 steps', async () => {
  const rng = new Random(7);
  const model = net(rng);
  const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
  const losses: number[] = [];
  for (let step = 0; step < 60; step++) {
    const { x, y } = quadrantBatch(rng, 32, 12);
    const loss = trainStep(model, opt, x, y);
    losses.push(await loss.item());
    loss.dispose(); x.dispose();
  }
  const first = losses.slice(0, 3).reduce((a, b) => a + b) / 3, last = losses.slice(-3).reduce((a, b) => a + b) / 3;
  assert.ok(first > 1.0, `initial loss ${first} should be near ln 4`);
  assert.ok(last * 5 <= first, `loss fell from ${first.toFixed(3)} to ${last.toFixed(3)}, less than 5x`);
  model.dispose();
});

test('200 training steps keep live GPU buffers and bytes flat', async () => {
  const rng = new Random(8);
  const model = net(rng);
  const opt = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9, weightDecay: 1e-4 });
  const { x, y } = quadrantBatch(rng, 8, 8);
  const seen: Array<{ buffers: number; bytes: number; created: number }> = [];
  for (let step = 0; step < 200; step++) {
    const loss = trainStep(model, opt, x, y);
    await loss.item();
    loss.dispose();
    const m = rt.pool.memory();
    seen.push({ buffers: m.liveBuffers, bytes: m.liveBytes, created: m.createdBuffers });
  }
  const settled = seen[4];
  for (let s = 5; s < seen.length; s++) {
    assert.is(seen[s].buffers, settled.buffers, `live buffers at step ${s}`);
    assert.is(seen[s].bytes, settled.bytes, `live bytes at step ${s}`);
  }
  assert.is(seen[199].created, seen[4].created, 'buffers created after warm-up: the pool should recycle them');
  model.dispose(); x.dispose();
});

test.run();
