// Shared by the tests: one engine per test process, random inputs, closeness checks and
// central finite differences in float64.
import * as assert from 'uvu/assert';
import { init, runtime } from '../engine/runtime.js';
import { Random } from '../engine/random.js';

/** Initialises the engine once for this test file, with NaN-poisoned new tensors. */
export async function engine() {
  try { return runtime(); } catch { /* not yet */ }
  const rt = await init();
  rt.poison = true;
  return rt;
}

export function randomArray(rng: Random, n: number, scale = 1): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = (rng.uniform() * 2 - 1) * scale;
  return a;
}

/** Asserts |a - e| <= atol + rtol |e| elementwise, reporting the worst element. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, rtol = 1e-4, atol = 1e-5): void {
  assert.is(actual.length, expected.length, `${what}: length`);
  let worst = -1, worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    const excess = err - (atol + rtol * Math.abs(expected[i]));
    if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess))) { worst = i; worstExcess = excess; }
  }
  if (worst >= 0) assert.unreachable(`${what}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} (rtol ${rtol}, atol ${atol})`);
}

/** Central finite differences of a float64 function at x. */
export function numericGrad(f: (x: Float64Array) => number, x: Float64Array, eps = 1e-6): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    x[i] = v + eps; const fp = f(x);
    x[i] = v - eps; const fm = f(x);
    x[i] = v;
    g[i] = (fp - fm) / (2 * eps);
  }
  return g;
}

/** sum(w * y): turns an output into a scalar whose gradient with respect to y is w. */
export function dot(w: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < w.length; i++) s += w[i] * y[i];
  return s;
}
