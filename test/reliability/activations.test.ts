// Activations propagate NaN and infinities as PyTorch's do (relu(NaN) = NaN, relu(+Inf) = +Inf,
// relu6(+Inf) = 6), in the standalone kernels and in the activation fused into batch norm, so
// that NaN weights can never give a finite loss. Sizes not a multiple of 4 take the scalar entries.
import { test } from 'uvu';
import { batchNorm } from '../../engine/ops/batchnorm.js';
import { relu, relu6 } from '../../engine/ops/elementwise.js';
import { Random } from '../../engine/random.js';
import { Tensor, tidy } from '../../engine/tensor.js';
import { engine, randomArray } from '../helpers.js';

await engine();
const rng = new Random(12);

/** Reference in float64: NaN stays NaN, otherwise min(max(x, lo), hi). */
const clampRef = (x: number, lo: number, hi: number) => (Number.isNaN(x) ? NaN : Math.min(Math.max(x, lo), hi));

/** Random values with NaN, +Inf and -Inf at random places. */
function withSpecials(n: number): Float64Array {
  const x = randomArray(rng, n, 10);
  const specials = [NaN, Infinity, -Infinity];
  for (let i = 0; i < n; i++) if (rng.uniform() < 0.2) x[i] = specials[Math.floor(rng.uniform() * 3)];
  return x;
}

function assertSame(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  for (let i = 0; i < want.length; i++) {
    const g = got[i], w = want[i];
    const ok = Number.isNaN(w) ? Number.isNaN(g) : !Number.isFinite(w) ? g === w : Math.abs(g - w) <= 1e-4 * (1 + Math.abs(w));
    if (!ok) throw new Error(`${what}: element ${i} is ${g}, expected ${w}`);
  }
}

for (const n of [37, 64, 1001]) {
  test(`relu and relu6 keep NaN and pass infinities as PyTorch (${n} elements)`, async () => {
    const x = withSpecials(n);
    const t = Tensor.fromArray(x, [n]);
    const [r, r6] = await Promise.all([tidy(() => relu(t)), tidy(() => relu6(t))].map((y) => y.toArray()));
    assertSame(r, Array.from(x, (v) => clampRef(v, 0, Infinity)), 'relu');
    assertSame(r6, Array.from(x, (v) => clampRef(v, 0, 6)), 'relu6');
    t.dispose();
  });
}

for (const C of [8, 5]) {
  test(`batch norm (eval) with a fused relu6 or relu keeps NaN (${C} channels)`, async () => {
    const rows = 7, x = randomArray(rng, rows * C, 2);
    for (let i = 0; i < x.length; i += 5) x[i] = NaN;
    const mean = randomArray(rng, C), variance = randomArray(rng, C).map((v) => v + 1.5);
    for (const activation of ['relu', 'relu6'] as const) {
      const rm = Tensor.fromArray(mean, [C]), rv = Tensor.fromArray(variance, [C]), tx = Tensor.fromArray(x, [rows, C]);
      const y = await tidy(() => batchNorm(tx, { runningMean: rm, runningVar: rv, training: false, momentum: 0.1, eps: 1e-5, activation })).toArray();
      const hi = activation === 'relu6' ? 6 : Infinity;
      assertSame(y, Array.from(x, (v, i) => clampRef((v - mean[i % C]) / Math.sqrt(variance[i % C] + 1e-5), 0, hi)), `batch norm + ${activation}`);
      for (const t of [rm, rv, tx]) t.dispose();
    }
  });
}

test.run();
