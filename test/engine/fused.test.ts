// Convolutions and products with a bias and an activation applied as they store their output:
// forward and every gradient against float64 references (odd channel counts take the scalar
// entries, multiples of 4 the vec4 ones; a long K takes the split-K path).
import { test } from 'uvu';
import { conv2d } from '../../engine/ops/conv.js';
import { depthwiseConv2d } from '../../engine/ops/depthwise.js';
import { clampRange, type Activation } from '../../engine/ops/elementwise.js';
import { linear } from '../../engine/ops/matmul.js';
import { Random } from '../../engine/random.js';
import { Tensor, tidy } from '../../engine/tensor.js';
import { assertClose, engine, randomArray } from '../helpers.js';
import { convBackwardRef, convRef, EPILOGUE_GEOMETRIES, outputShape } from '../reference/conv.js';
import { gemm, gemmBackward } from '../reference/matmul.js';

await engine();
const rng = new Random(4);

/** clamp(z + bias) and dL/dz for upstream g, in float64, over rows of C channels. */
function epilogueRef(z: Float64Array, bias: ArrayLike<number>, g: ArrayLike<number>, act?: Activation) {
  const [lo, hi] = clampRange(act), C = bias.length;
  const y = new Float64Array(z.length), gz = new Float64Array(z.length), db = new Float64Array(C);
  z.forEach((v, i) => {
    const u = v + bias[i % C];
    y[i] = Math.min(hi, Math.max(lo, u));
    gz[i] = u > lo && u < hi ? g[i] : 0;
    db[i % C] += gz[i];
  });
  return { y, gz, db };
}

async function run(f: (x: Tensor, w: Tensor, b: Tensor) => Tensor, xs: number[], ws: number[], C: number, x: Float64Array, w: Float64Array, bias: Float64Array, g: ArrayLike<number>) {
  const tx = Tensor.fromArray(x, xs, true), tw = Tensor.fromArray(w, ws, true), tb = Tensor.fromArray(bias, [C], true);
  const y = await tidy(() => {
    const out = f(tx, tw, tb);
    out.backward(Tensor.fromArray(g, out.shape));
    return out;
  }).toArray();
  const r = { y, dx: await tx.grad!.toArray(), dw: await tw.grad!.toArray(), db: await tb.grad!.toArray() };
  for (const t of [tx, tw, tb]) { t.grad!.dispose(); t.dispose(); }
  return r;
}

const acts: Array<Activation | undefined> = ['relu6', 'relu', undefined];

for (const [M, K, N] of [[37, 13, 10], [20, 9, 12], [8, 3000, 8]]) for (const act of acts) {
  test(`linear ${M}x${K}x${N} + bias + ${act ?? 'no activation'} in one pass: forward and gradients match float64`, async () => {
    const x = randomArray(rng, M * K), w = randomArray(rng, K * N, 0.3), bias = randomArray(rng, N), g = randomArray(rng, M * N);
    const r = await run((a, b, c) => linear(a, b, c, act), [M, K], [K, N], N, x, w, bias, g);
    const e = epilogueRef(gemm(x, w, M, N, K), bias, g, act);
    const ref = gemmBackward(x, w, e.gz, M, N, K);
    assertClose(r.y, e.y, 'y', 1e-4, 1e-4);
    assertClose(r.dx, ref.da, 'dx', 1e-4, 1e-4);
    assertClose(r.dw, ref.db, 'dw', 1e-4, 1e-4);
    assertClose(r.db, e.db, 'dbias', 1e-4, 1e-4);
  });
}

for (const [name, geo] of EPILOGUE_GEOMETRIES) for (const act of acts) {
  test(`${name} + bias + ${act ?? 'no activation'} in one pass: forward and gradients match float64`, async () => {
    const xs = [geo.n, geo.h, geo.w, geo.cin], ws = geo.depthwise ? [geo.kh, geo.kw, geo.cout] : [geo.kh, geo.kw, geo.cin, geo.cout];
    const x = randomArray(rng, xs.reduce((a, b) => a * b)), w = randomArray(rng, ws.reduce((a, b) => a * b), 0.3);
    const bias = randomArray(rng, geo.cout), g = randomArray(rng, outputShape(geo).reduce((a, b) => a * b));
    const opts = { stride: geo.stride as 1 | 2, padding: geo.padding, activation: act };
    const r = await run((a, b, c) => (geo.depthwise ? depthwiseConv2d(a, b, { ...opts, bias: c }) : conv2d(a, b, { ...opts, bias: c })), xs, ws, geo.cout, x, w, bias, g);
    const e = epilogueRef(convRef(geo, x, w), bias, g, act);
    const ref = convBackwardRef(geo, x, w, e.gz);
    assertClose(r.y, e.y, 'y', 1e-4, 1e-4);
    assertClose(r.dx, ref.dx, 'dx', 1e-4, 1e-4);
    assertClose(r.dw, ref.dw, 'dw', 1e-4, 1e-4);
    assertClose(r.db, e.db, 'dbias', 1e-4, 1e-4);
  });
}

test.run();
