import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Adam } from '../../engine/optim/adam.js';
import type { Optimizer } from '../../engine/optim/optimizer.js';
import { SGD } from '../../engine/optim/sgd.js';
import { Random } from '../../engine/random.js';
import { keep, Tensor, tidy } from '../../engine/tensor.js';
import { scale } from '../../engine/ops/elementwise.js';
import { assertClose, engine, randomArray } from '../helpers.js';
import * as ref from '../reference/optim.js';

await engine();
const rng = new Random(13);
const SIZES = [1, 7, 1001];

/** Gradients for each parameter at each step; parameter 1 has none at step 2 (it is skipped). */
function gradients(steps: number): (Float64Array | null)[][] {
  return Array.from({ length: steps }, (_, s) => SIZES.map((n, i) => (i === 1 && s === 2 ? null : randomArray(rng, n))));
}

function setGrads(params: Tensor[], grads: (Float64Array | null)[]): void {
  params.forEach((p, i) => { p.grad = grads[i] ? keep(Tensor.fromArray(grads[i]!, p.shape)) : null; });
}

const sgdCases: ref.SGDRef[] = [
  { lr: 0.1, momentum: 0, weightDecay: 0, nesterov: false },
  { lr: 0.05, momentum: 0, weightDecay: 1e-2, nesterov: false },
  { lr: 0.1, momentum: 0.9, weightDecay: 1e-2, nesterov: false },
  { lr: 0.1, momentum: 0.9, weightDecay: 5e-4, nesterov: true },
];

for (const o of sgdCases) {
  test(`SGD ${JSON.stringify(o)}: five steps with an lr change match float64 PyTorch rules`, async () => {
    const values = SIZES.map((n) => randomArray(rng, n, 2));
    const params = values.map((v) => Tensor.fromArray(v, [v.length], true));
    const opt = new SGD(params, o);
    const states = SIZES.map(() => ({} as { buf?: Float64Array }));
    for (const [s, grads] of gradients(5).entries()) {
      if (s === 3) opt.lr = o.lr / 2;
      setGrads(params, grads);
      opt.step();
      opt.zeroGrad();
      values.forEach((v, i) => { if (grads[i]) ref.sgdStep(v, grads[i]!, { ...o, lr: opt.lr }, states[i]); });
    }
    for (let i = 0; i < SIZES.length; i++) assertClose(await params[i].toArray(), values[i], `param ${i}`, 1e-5, 1e-6);
  });
}

for (const weightDecay of [0, 1e-2]) {
  test(`Adam with weight decay ${weightDecay}: six steps match float64 PyTorch rules`, async () => {
    const o: ref.AdamRef = { lr: 1e-2, betas: [0.9, 0.99], eps: 1e-8, weightDecay };
    const values = SIZES.map((n) => randomArray(rng, n, 2));
    const params = values.map((v) => Tensor.fromArray(v, [v.length], true));
    const opt = new Adam(params, o);
    const states = SIZES.map((n) => ({ step: 0, m: new Float64Array(n), v: new Float64Array(n) }));
    for (const grads of gradients(6)) {
      setGrads(params, grads);
      opt.step();
      opt.zeroGrad();
      values.forEach((v, i) => { if (grads[i]) ref.adamStep(v, grads[i]!, o, states[i]); });
    }
    assert.equal(opt.state().json.steps, [6, 5, 6]);
    for (let i = 0; i < SIZES.length; i++) assertClose(await params[i].toArray(), values[i], `param ${i}`, 1e-5, 1e-6);
  });
}

/** Saves to host arrays and restores into fresh parameters and a fresh optimizer: both continue bit-exactly. */
async function roundTrip(make: (params: Tensor[]) => Optimizer): Promise<void> {
  const params = SIZES.map((n) => Tensor.fromArray(randomArray(rng, n), [n], true));
  const opt = make(params);
  const [before, after] = [gradients(3), gradients(3)];
  for (const grads of before) { setGrads(params, grads); opt.step(); opt.zeroGrad(); }

  const { json, tensors } = opt.state();
  const saved = JSON.parse(JSON.stringify(json));
  const host: Record<string, [Float32Array, number[]]> = {};
  for (const [k, t] of Object.entries(tensors)) host[k] = [await t.toArray(), [...t.shape]];
  const copies = await Promise.all(params.map(async (p) => Tensor.fromArray(await p.toArray(), p.shape, true)));
  const resumed = make(copies);
  resumed.lr = 123;  // restored from the state
  resumed.loadState({ json: saved, tensors: Object.fromEntries(Object.entries(host).map(([k, [d, s]]) => [k, Tensor.fromArray(d, s)])) });

  for (const grads of after) {
    for (const [o, ps] of [[opt, params], [resumed, copies]] as const) { setGrads(ps, grads); o.step(); o.zeroGrad(); }
  }
  for (let i = 0; i < SIZES.length; i++) assert.equal(await copies[i].toArray(), await params[i].toArray(), `param ${i} bit-exact`);
  const [a, b] = [opt.state(), resumed.state()];
  assert.equal(Object.keys(b.tensors).sort(), Object.keys(a.tensors).sort());
  assert.equal(b.json, a.json);
  for (const k of Object.keys(a.tensors)) assert.equal(await b.tensors[k].toArray(), await a.tensors[k].toArray(), `${k} bit-exact`);
}

test('SGD with Nesterov momentum: state round trip continues bit-exactly', async () => {
  await roundTrip((ps) => new SGD(ps, { lr: 0.1, momentum: 0.9, weightDecay: 1e-3, nesterov: true }));
});

test('Adam: state round trip continues bit-exactly', async () => {
  await roundTrip((ps) => new Adam(ps, { lr: 3e-3, betas: [0.5, 0.999], weightDecay: 1e-3 }));
});

test('zeroGrad disposes gradients; the next backward creates them afresh; separate instances hold separate lrs', async () => {
  const a = Tensor.fromArray([1, 2], [2], true), b = Tensor.fromArray([3], [1], true);
  const optA = new SGD([a], { lr: 0.5 }), optB = new SGD([b], { lr: 0.25 });
  tidy(() => scale(a, 2).backward(Tensor.fromArray([1, 1], [2])));
  tidy(() => scale(b, 2).backward(Tensor.fromArray([1], [1])));
  const grad = a.grad!;
  optA.zeroGrad();
  assert.ok(grad.disposed);
  assert.is(a.grad, null);
  tidy(() => scale(a, 3).backward(Tensor.fromArray([1, 1], [2])));
  optA.step(); optB.step();
  assert.equal(Array.from(await a.toArray()), [-0.5, 0.5]);
  assert.equal(Array.from(await b.toArray()), [2.5]);
});

test.run();
