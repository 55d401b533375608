// Convolutions and products with an eval batch norm (and a residual) folded into their store:
// forward against float64 references (odd channel counts take the scalar entries, multiples of 4
// the vec4 ones; a long K with few rows, which would split K, does not), the block forward of
// eval against its unfolded form, and the refusal to fold where a gradient is recorded.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MBConv } from '../../engine/nn/blocks.js';
import { evalNorm } from '../../engine/ops/batchnorm.js';
import { conv2d } from '../../engine/ops/conv.js';
import { depthwiseConv2d } from '../../engine/ops/depthwise.js';
import { clampRange, type Activation } from '../../engine/ops/elementwise.js';
import { pointwiseConv } from '../../engine/ops/matmul.js';
import { Random } from '../../engine/random.js';
import { noGrad, Tensor, tidy } from '../../engine/tensor.js';
import { assertClose, engine, randomArray } from '../helpers.js';
import { batchNorm as bnRef, type BatchNormRef } from '../reference/batchnorm.js';
import { convRef, EPILOGUE_GEOMETRIES, outputShape } from '../reference/conv.js';
import { gemm } from '../reference/matmul.js';

await engine();
const rng = new Random(11);

/** Random running statistics and affine parameters of C channels (variance in [0.5, 2.5]). */
function normState(C: number, affine: boolean, activation?: Activation): BatchNormRef {
  const runningVar = Float64Array.from({ length: C }, () => 0.5 + 2 * rng.uniform());
  return {
    runningMean: randomArray(rng, C), runningVar, training: false, momentum: 0.1, eps: 1e-5, activation,
    ...(affine ? { weight: randomArray(rng, C), bias: randomArray(rng, C) } : {}),
  };
}

/** The engine's folded epilogue of a reference state; its tensors live until `dispose`. */
function engineNorm(s: BatchNormRef, C: number) {
  const t = (a?: Float64Array) => (a ? Tensor.fromArray(a, [C]) : undefined);
  const state = { weight: t(s.weight), bias: t(s.bias), runningMean: t(s.runningMean)!, runningVar: t(s.runningVar)!, training: false, momentum: s.momentum, eps: s.eps };
  const norm = evalNorm(state, C);
  const owned = [norm.stats, norm.fwd, state.runningMean, state.runningVar, ...(state.weight ? [state.weight, state.bias!] : [])];
  return { norm, dispose: () => owned.forEach((x) => x.dispose()) };
}

const acts: Array<Activation | undefined> = ['relu6', undefined];

// 16 and more columns take the subgroup blocks on lavapipe (matmul.wgsl's SG): 24 x 8, 16 x 12, 24 x 3.
for (const [rows, K, N, residual] of [[37, 13, 10, true], [20, 9, 12, true], [8, 3000, 8, false], [33, 6, 7, false],
  [29, 11, 67, true], [41, 5, 96, true], [3, 7, 128, false], [19, 5, 24, true], [10, 3, 21, false]] as const) for (const act of acts) {
  test(`pointwise ${rows}x${K}->${N} + eval BN${residual ? ' + residual' : ''} + ${act ?? 'no activation'} in one pass matches float64`, async () => {
    const x = randomArray(rng, rows * K), w = randomArray(rng, K * N, 0.3), r = randomArray(rng, rows * N);
    const s = normState(N, rows % 2 === 1, act);
    const { norm, dispose } = engineNorm(s, N);
    const tx = Tensor.fromArray(x, [1, rows, 1, K]), tw = Tensor.fromArray(w, [K, N]), tr = Tensor.fromArray(r, [1, rows, 1, N]);
    const y = await noGrad(() => pointwiseConv(tx, tw, { norm: { ...norm, residual: residual ? tr : undefined }, activation: act })).toArray();
    // The activation comes after the residual.
    const [lo, hi] = clampRange(act);
    const ref = bnRef(gemm(x, w, rows, N, K), N, { ...s, activation: undefined }).map((v, i) => Math.min(hi, Math.max(lo, v + (residual ? r[i] : 0))));
    assertClose(y, ref, 'y', 1e-4, 1e-4);
    dispose(); for (const t of [tx, tw, tr]) t.dispose();
  });
}

for (const [name, geo] of EPILOGUE_GEOMETRIES) for (const act of acts) {
  test(`${name} + eval BN + ${act ?? 'no activation'} in one pass matches float64`, async () => {
    const xs = [geo.n, geo.h, geo.w, geo.cin], ws = geo.depthwise ? [geo.kh, geo.kw, geo.cout] : [geo.kh, geo.kw, geo.cin, geo.cout];
    const x = randomArray(rng, xs.reduce((a, b) => a * b)), w = randomArray(rng, ws.reduce((a, b) => a * b), 0.3);
    const s = normState(geo.cout, geo.cout % 4 !== 0, act);
    const { norm, dispose } = engineNorm(s, geo.cout);
    const tx = Tensor.fromArray(x, xs), tw = Tensor.fromArray(w, ws);
    const opts = { stride: geo.stride as 1 | 2, padding: geo.padding, norm, activation: act };
    const y = await noGrad(() => (geo.depthwise ? depthwiseConv2d(tx, tw, opts) : conv2d(tx, tw, opts))).toArray();
    assert.equal(y.length, outputShape(geo).reduce((a, b) => a * b));
    assertClose(y, bnRef(convRef(geo, x, w), geo.cout, s), 'y', 1e-4, 1e-4);
    dispose(); tx.dispose(); tw.dispose();
  });
}

test('a folded norm passes NaN through its activation, as the unfolded batch norm does', async () => {
  const s = normState(8, true, 'relu6');
  const { norm, dispose } = engineNorm(s, 8);
  const x = randomArray(rng, 2 * 5 * 5 * 8);
  x[8 * 7] = NaN;   // channel 0 of pixel 7: NaN in every output channel there (in channel 0 alone for depthwise)
  const tx = Tensor.fromArray(x, [2, 5, 5, 8]);
  const ws: Array<[number[], (w: Tensor) => Tensor, number]> = [
    [[8, 8], (w) => pointwiseConv(tx, w, { norm, activation: 'relu6' }), 8],
    [[1, 1, 8, 8], (w) => conv2d(tx, w, { stride: 1, padding: 0, norm, activation: 'relu6' }), 8],
    [[1, 1, 8], (w) => depthwiseConv2d(tx, w, { stride: 1, padding: 0, norm, activation: 'relu6' }), 1],
  ];
  for (const [shape, f, nanChannels] of ws) {
    const w = Tensor.randn(shape, rng, 0.3);
    const y = await noGrad(() => f(w)).toArray();
    const nan = (i: number) => i >= 56 && i < 56 + nanChannels;
    y.forEach((v, i) => assert.ok(nan(i) ? Number.isNaN(v) : v >= 0 && v <= 6, `[${shape}] output ${i} is ${v}`));
    w.dispose();
  }
  dispose(); tx.dispose();
});

test('a folded norm is refused where a gradient would be recorded', () => {
  const s = normState(4, true);
  const { norm, dispose } = engineNorm(s, 4);
  const x = Tensor.randn([1, 3, 3, 4], rng), w = Tensor.randn([4, 4], rng, 0.3, true);
  assert.throws(() => tidy(() => pointwiseConv(x, w, { norm })), /inference/);
  dispose(); x.dispose(); w.dispose();
});

for (const [cin, cout, stride, expansion] of [[8, 8, 1, 6], [5, 7, 2, 3], [6, 6, 1, 1]] as const) {
  test(`MBConv ${cin}->${cout} stride ${stride} expansion ${expansion}: eval forward folded (noGrad) equals the unfolded one`, async () => {
    const block = new MBConv(cin, cout, 3, stride, expansion, new Random(3));
    // Running statistics away from (0, 1), so that the fold has something to fold.
    noGrad(() => tidy(() => { block.forward(Tensor.randn([2, 6, 5, cin], rng, 2)); }));
    block.eval();
    const x = Tensor.randn([2, 6, 5, cin], rng);
    const folded = await noGrad(() => tidy(() => block.forward(x))).toArray();
    x.requiresGrad = true;   // with a gradient recorded nothing is folded
    const unfolded = await tidy(() => block.forward(x).detach()).toArray();
    assertClose(folded, unfolded, 'y', 1e-5, 1e-5);
    block.dispose(); x.dispose();
  });
}

test.run();
