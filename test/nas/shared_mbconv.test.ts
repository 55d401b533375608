// A candidate over shared weights computes exactly the MBConv whose weights are its windows, and
// its gradients land in those windows of the shared weights and nowhere else.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MBConv } from '../../engine/nn/blocks.js';
import { Random } from '../../engine/random.js';
import { Tensor, tidyAsync } from '../../engine/tensor.js';
import { SharedMBConv, SharedMBConvWeights } from '../../nas/shared_mbconv.js';
import { assertClose, engine, randomArray } from '../helpers.js';

await engine();
const rng = new Random(5);

/** Rows [r0, r0+nr) and columns [c0, c0+nc) of a row-major [rows, cols] array, per leading index. */
function window(a: ArrayLike<number>, shape: number[], starts: number[], sizes: number[]): number[] {
  const out: number[] = [];
  const rec = (d: number, base: number) => {
    for (let i = starts[d]; i < starts[d] + sizes[d]; i++) {
      const idx = base * shape[d] + i;
      if (d === shape.length - 1) out.push(a[idx]); else rec(d + 1, idx);
    }
  };
  rec(0, 0);
  return out;
}

const cases = [
  { cin: 6, cout: 6, K: 7, T: 6, k: 3, t: 3, stride: 1 as const },
  { cin: 5, cout: 7, K: 7, T: 6, k: 5, t: 6, stride: 2 as const },
  { cin: 4, cout: 9, K: 5, T: 1, k: 3, t: 1, stride: 1 as const },
  { cin: 8, cout: 8, K: 7, T: 6, k: 7, t: 6, stride: 1 as const },
];
for (const c of cases) test(`mbconv_k${c.k}_t${c.t} over shared k${c.K} t${c.T} weights equals MBConv on their windows (${c.cin}->${c.cout}, stride ${c.stride})`, async () => {
  const w = new SharedMBConvWeights(c.cin, c.cout, c.K, c.T, rng);
  const bn = { eps: 1e-3, momentum: 0.1 };
  const shared = new SharedMBConv(w, c.k, c.t, c.stride, { affine: false, bn });
  const plain = new MBConv(c.cin, c.cout, c.k, c.stride, c.t, rng, { affine: false, bn });
  const mid = c.cin * c.t, off = (c.K - c.k) / 2;
  const sharedW = Object.fromEntries(w.namedParameters());
  const windows: Record<string, [number[], number[]]> = {
    'expand.weight': [[0, 0], [c.cin, mid]],
    'depthwise.weight': [[off, off, 0], [c.k, c.k, mid]],
    'project.weight': [[0, 0], [mid, c.cout]],
  };
  const plainW = Object.fromEntries(plain.namedParameters());
  for (const [name, [starts, sizes]] of Object.entries(windows)) {
    if (!sharedW[name]) continue;
    plainW[name].write(window(await sharedW[name].toArray(), sharedW[name].shape as number[], starts, sizes));
  }
  const n = 3, hw = 9;
  const x = randomArray(rng, n * hw * hw * c.cin), g = randomArray(rng, n * Math.ceil(hw / c.stride) ** 2 * c.cout);
  const run = (m: { forward(x: Tensor): Tensor }) => tidyAsync(async () => {
    const y = m.forward(Tensor.fromArray(x, [n, hw, hw, c.cin]));
    const out = await y.toArray();
    y.backward(Tensor.fromArray(g, y.shape));
    return out;
  });
  assertClose(await run(shared), await run(plain), 'forward');
  for (const [name, [starts, sizes]] of Object.entries(windows)) {
    if (!sharedW[name]) continue;
    const gs = await sharedW[name].grad!.toArray(), gp = await plainW[name].grad!.toArray();
    assertClose(window(gs, sharedW[name].shape as number[], starts, sizes), gp, `${name} gradient in the window`);
    const outside = Array.from(gs).reduce((a, v) => a + Math.abs(v), 0) - window(gs, sharedW[name].shape as number[], starts, sizes).reduce((a, v) => a + Math.abs(v), 0);
    assert.ok(Math.abs(outside) < 1e-4 * (1 + Array.from(gp).reduce((a, v) => a + Math.abs(v), 0)), `${name}: no gradient outside the window`);
  }
});

test('a candidate larger than its shared weights is refused', () => {
  const w = new SharedMBConvWeights(4, 4, 5, 3, rng);
  assert.throws(() => new SharedMBConv(w, 7, 3, 1, {}), /does not fit/);
  assert.throws(() => new SharedMBConv(w, 3, 6, 1, {}), /does not fit/);
});

test.run();
