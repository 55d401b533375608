import { test } from 'uvu';
import { create } from '../../engine/webgpu.js';
import * as assert from 'uvu/assert';
import { addBias, gemm, linear, matmul, pointwiseConv, sumColumns } from '../../engine/ops/matmul.js';
import { KernelRegistry } from '../../kernels/registry.js';
import { Random } from '../../engine/random.js';
import { Tensor, tidy } from '../../engine/tensor.js';
import { tuningFor, type Tuning } from '../../engine/tuning.js';
import { assertClose, dot, engine, numericGrad, randomArray } from '../helpers.js';
import * as ref from '../reference/matmul.js';

const rt = await engine();
const rng = new Random(7);
const ownTuning = rt.tuning;

/** Runs the checks under another adapter kind's tile sizes too: the GPU tiling must be correct before it meets a GPU. */
function withTuning(tuning: Tuning, fn: () => Promise<void>): () => Promise<void> {
  return async () => {
    Object.assign(rt, { tuning });
    try { await fn(); } finally { Object.assign(rt, { tuning: ownTuning }); }
  };
}

const transposes = [[false, false], [true, false], [false, true], [true, true]] as const;
const tag = (tA: boolean, tB: boolean) => `${tA ? 'A^T' : 'A'} x ${tB ? 'B^T' : 'B'}`;

for (const kind of ['cpu', 'gpu'] as const) {
  // Odd sizes off every tile edge, batch 1, and a long K with a small output (split into slices);
  // M or N % 4 == 0 (vec4 loads and stores) with partial blocks, in one slice and split.
  for (const [M, K, N] of [[1, 1, 1], [3, 17, 5], [17, 33, 3], [65, 127, 33], [1, 64, 127], [127, 3, 1], [5, 4099, 7], [33, 2500, 65],
    [1, 3, 8], [65, 127, 36], [7, 4099, 20], [36, 33, 12], [12, 4099, 20]]) {
    test(`[${kind} tiles] gemm ${M}x${K}x${N}, all transposes, matches float64`, withTuning(tuningFor(kind), async () => {
      for (const [tA, tB] of transposes) {
        const a = randomArray(rng, M * K), b = randomArray(rng, K * N);
        const ta = Tensor.fromArray(a, tA ? [K, M] : [M, K]), tb = Tensor.fromArray(b, tB ? [N, K] : [K, N]);
        assertClose(await gemm(ta, tb, tA, tB).toArray(), ref.gemm(a, b, M, N, K, tA, tB), `${tag(tA, tB)} ${M}x${K}x${N}`, 1e-4, 1e-4);
      }
    }));
  }

  test(`[${kind} tiles] gemm backward, all transposes, matches finite differences and the analytic gradient`, withTuning(tuningFor(kind), async () => {
    for (const [M, K, N] of [[3, 5, 4], [17, 9, 6], [1, 7, 1]]) {
      for (const [tA, tB] of transposes) {
        const a = randomArray(rng, M * K), b = randomArray(rng, K * N), w = randomArray(rng, M * N);
        const ta = Tensor.fromArray(a, tA ? [K, M] : [M, K], true), tb = Tensor.fromArray(b, tB ? [N, K] : [K, N], true);
        tidy(() => gemm(ta, tb, tA, tB).backward(Tensor.fromArray(w, [M, N])));
        const what = `${tag(tA, tB)} ${M}x${K}x${N}`;
        const numA = numericGrad((x) => dot(w, ref.gemm(x, b, M, N, K, tA, tB)), Float64Array.from(a));
        const numB = numericGrad((x) => dot(w, ref.gemm(a, x, M, N, K, tA, tB)), Float64Array.from(b));
        const { da, db } = ref.gemmBackward(a, b, w, M, N, K, tA, tB);
        const [ga, gb] = [await ta.grad!.toArray(), await tb.grad!.toArray()];
        assertClose(ga, numA, `dA of ${what} vs finite differences`, 1e-4, 1e-4);
        assertClose(gb, numB, `dB of ${what} vs finite differences`, 1e-4, 1e-4);
        assertClose(ga, da, `dA of ${what}`);
        assertClose(gb, db, `dB of ${what}`);
      }
    }
  }));

  test(`[${kind} tiles] pointwise conv at the workload size [32, 32, 32, 32] x [32, 192], forward and weight gradient`, withTuning(tuningFor(kind), async () => {
    const [P, cin, cout] = [32 * 32 * 32, 32, 192];
    const x = randomArray(rng, P * cin), wt = randomArray(rng, cin * cout), g = randomArray(rng, P * cout);
    const tx = Tensor.fromArray(x, [32, 32, 32, cin]), tw = Tensor.fromArray(wt, [cin, cout], true);
    const y = pointwiseConv(tx, tw);
    assert.equal(y.shape, [32, 32, 32, cout]);
    assertClose(await y.toArray(), ref.gemm(x, wt, P, cout, cin), 'y', 1e-4, 1e-4);
    y.backward(Tensor.fromArray(g, y.shape));
    assertClose(await tw.grad!.toArray(), ref.gemm(x, g, cin, cout, P, true), 'dW = X^T dY', 1e-4, 1e-3);
  }));
}

// The subgroup blocks (matmul.wgsl's SG): N of 16 and more, in the tuning's blocks or narrower;
// rows off every block edge (1, primes, fewer than 8), K split or not, A stored transposed
// (where A4 would apply), the bias epilogue with scalar and vec4 stores.
test('[cpu tiles] subgroup blocks: gemm, all transposes, and linear with a bias, match float64', withTuning(tuningFor('cpu'), async () => {
  const seen: boolean[] = [];
  const get = rt.kernels.get;
  rt.kernels.get = (family, entry, overrides = {}) => {
    if (family === 'matmul' && entry.startsWith('matmul')) seen.push(overrides.SG === 1);
    return get.call(rt.kernels, family, entry, overrides);
  };
  try {
    for (const [M, K, N] of [[1, 5, 64], [7, 13, 67], [23, 1, 96], [97, 31, 127], [130, 8, 200], [8, 5003, 64], [41, 2, 1031],
      [29, 7, 16], [61, 3, 17], [5, 19, 24], [53, 97, 40], [3, 4099, 61]]) {
      for (const [tA, tB] of transposes) {
        const a = randomArray(rng, M * K), b = randomArray(rng, K * N);
        const ta = Tensor.fromArray(a, tA ? [K, M] : [M, K]), tb = Tensor.fromArray(b, tB ? [N, K] : [K, N]);
        assertClose(await gemm(ta, tb, tA, tB).toArray(), ref.gemm(a, b, M, N, K, tA, tB), `${tag(tA, tB)} ${M}x${K}x${N}`, 1e-4, 1e-4);
      }
      const x = randomArray(rng, M * K), w = randomArray(rng, K * N), bias = randomArray(rng, N);
      const y = linear(Tensor.fromArray(x, [M, K]), Tensor.fromArray(w, [K, N]), Tensor.fromArray(bias, [N]), 'relu6');
      const yRef = ref.addBias(ref.gemm(x, w, M, N, K), bias).map((v) => Math.min(6, Math.max(0, v)));
      assertClose(await y.toArray(), yRef, `linear ${M}x${K}x${N}`, 1e-4, 1e-4);
    }
  } finally {
    rt.kernels.get = get;
  }
  // Where the adapter has subgroups of 8 (lavapipe), these sizes must take them.
  if (rt.device.subgroupSize === 8) assert.ok(seen.length > 0 && seen.every((sg) => sg), 'every product took the subgroup blocks');
}));

// A device without subgroups still compiles the families that use them (their subgroup paths stay off there).
test('matmul.wgsl and depthwise.wgsl compile on a device without the subgroups feature', async () => {
  const gpu = create([]);   // kept until the end: Dawn aborts if it is collected
  const device = await (await gpu.requestAdapter())!.requestDevice();
  try {
    const kernels = new KernelRegistry(device);
    device.pushErrorScope('validation');
    kernels.get('matmul', 'matmul_store4', { WGN: 8, WGM: 1, TM: 16, TN: 8, A4: 0, B4: 1, SG: 0 });
    kernels.get('depthwise', 'conv4', { K: 3, SG: 0 });
    assert.is(await device.popErrorScope(), null);
  } finally {
    device.destroy();
    assert.ok(gpu);
  }
});

// One row a workgroup: 70001 rows need a second dispatch past the 65535-workgroup limit.
test('matmul rows past 65535 workgroups take a second dispatch', withTuning({ ...tuningFor('cpu'), matmul: { WG: 1, maxWGN: 1, TM: 1, widths: [1], subgroupBlocks: [] } }, async () => {
  const [M, K, N] = [70_001, 2, 3];
  const a = randomArray(rng, M * K), b = randomArray(rng, K * N);
  assertClose(await matmul(Tensor.fromArray(a, [M, K]), Tensor.fromArray(b, [K, N])).toArray(), ref.gemm(a, b, M, N, K), 'C');
}));

test('pointwiseConv forward and backward on odd shapes and batch 1', async () => {
  for (const [n, h, w, cin, cout] of [[2, 3, 5, 7, 9], [1, 1, 1, 3, 1], [1, 4, 4, 17, 33]]) {
    const P = n * h * w;
    const x = randomArray(rng, P * cin), wt = randomArray(rng, cin * cout), g = randomArray(rng, P * cout);
    const tx = Tensor.fromArray(x, [n, h, w, cin], true), tw = Tensor.fromArray(wt, [cin, cout], true);
    const y = pointwiseConv(tx, tw);
    assert.equal(y.shape, [n, h, w, cout]);
    assertClose(await y.toArray(), ref.gemm(x, wt, P, cout, cin), 'y');
    tidy(() => y.backward(Tensor.fromArray(g, y.shape)));
    assertClose(await tx.grad!.toArray(), numericGrad((v) => dot(g, ref.gemm(v, wt, P, cout, cin)), Float64Array.from(x)), 'dx', 1e-4, 1e-4);
    assertClose(await tw.grad!.toArray(), numericGrad((v) => dot(g, ref.gemm(x, v, P, cout, cin)), Float64Array.from(wt)), 'dw', 1e-4, 1e-4);
  }
});

test('linear with and without bias, forward and backward', async () => {
  for (const [n, fin, fout] of [[1, 3, 2], [7, 17, 10], [64, 64, 10]]) {
    const x = randomArray(rng, n * fin), wt = randomArray(rng, fin * fout), bias = randomArray(rng, fout), g = randomArray(rng, n * fout);
    const f = (xv: ArrayLike<number>, wv: ArrayLike<number>, bv: ArrayLike<number>) => ref.addBias(ref.gemm(xv, wv, n, fout, fin), bv);
    const tx = Tensor.fromArray(x, [n, fin], true), tw = Tensor.fromArray(wt, [fin, fout], true), tb = Tensor.fromArray(bias, [fout], true);
    assertClose(await linear(tx, tw).toArray(), ref.gemm(x, wt, n, fout, fin), 'no bias');
    const y = linear(tx, tw, tb);
    assertClose(await y.toArray(), f(x, wt, bias), 'y');
    tidy(() => y.backward(Tensor.fromArray(g, y.shape)));
    assertClose(await tx.grad!.toArray(), numericGrad((v) => dot(g, f(v, wt, bias)), Float64Array.from(x)), 'dx', 1e-4, 1e-4);
    assertClose(await tw.grad!.toArray(), numericGrad((v) => dot(g, f(x, v, bias)), Float64Array.from(wt)), 'dw', 1e-4, 1e-4);
    assertClose(await tb.grad!.toArray(), numericGrad((v) => dot(g, f(x, wt, v)), Float64Array.from(bias)), 'db', 1e-4, 1e-4);
    assertClose(await tb.grad!.toArray(), ref.sumColumns(g, n, fout), 'db = column sums of dy');
  }
});

test('addBias broadcasts over every leading dimension; its bias gradient is a column sum', async () => {
  const shape = [2, 3, 5, 7], C = 7, rows = 30;
  const x = randomArray(rng, rows * C), bias = randomArray(rng, C), g = randomArray(rng, rows * C);
  const tx = Tensor.fromArray(x, shape, true), tb = Tensor.fromArray(bias, [C], true);
  const y = addBias(tx, tb);
  assertClose(await y.toArray(), ref.addBias(x, bias), 'y');
  tidy(() => y.backward(Tensor.fromArray(g, shape)));
  assertClose(await tx.grad!.toArray(), g, 'dx');
  assertClose(await tb.grad!.toArray(), numericGrad((v) => dot(g, ref.addBias(x, v)), Float64Array.from(bias)), 'db', 1e-4, 1e-4);
});

test('sumColumns matches float64, in one pass and in several', async () => {
  for (const [rows, cols] of [[1, 1], [3, 17], [1000, 5], [70_001, 3], [5, 1000]]) {
    const x = randomArray(rng, rows * cols);
    assertClose(await sumColumns(Tensor.fromArray(x, [rows, cols])).toArray(), ref.sumColumns(x, rows, cols), `${rows}x${cols}`, 1e-4, 1e-4);
  }
  assertClose(await sumColumns(Tensor.zeros([0, 4])).toArray(), [0, 0, 0, 0], 'no rows');
});

test('sumColumns backward broadcasts the gradient to every row', async () => {
  const [rows, cols] = [9, 4];
  const x = randomArray(rng, rows * cols), g = randomArray(rng, cols);
  const tx = Tensor.fromArray(x, [rows, cols], true);
  tidy(() => sumColumns(tx).backward(Tensor.fromArray(g, [cols])));
  assertClose(await tx.grad!.toArray(), numericGrad((v) => dot(g, ref.sumColumns(v, rows, cols)), Float64Array.from(x)), 'dx', 1e-4, 1e-4);
});

test('shape errors name the op and the shapes', () => {
  const a = Tensor.zeros([2, 3]), b = Tensor.zeros([4, 5]);
  assert.throws(() => matmul(a, b), /matmul: \[2, 3\] x \[4, 5\]: inner sizes 3 and 4 differ/);
  assert.throws(() => gemm(a, b, true, false), /matmul: \[2, 3\]\^T x \[4, 5\]: inner sizes 2 and 4 differ/);
  assert.throws(() => matmul(Tensor.zeros([2, 3, 1]), b), /matmul: the left operand must have rank 2, got \[2, 3, 1\]/);
  assert.throws(() => pointwiseConv(Tensor.zeros([1, 2, 2, 3]), b), /pointwiseConv: input \[1, 2, 2, 3\] has 3 channels, weight \[4, 5\] expects 4/);
  assert.throws(() => linear(a, b), /linear: input \[2, 3\] has 3 features, weight \[4, 5\] expects 4/);
  assert.throws(() => addBias(a, Tensor.zeros([2])), /addBias: bias \[2\] does not match the last dimension of \[2, 3\]/);
});

test.run();
