// Naive float64 weighted mix of K candidates and its gradients.
import { softmax } from './loss.js';

export function weightedSum(xs: readonly ArrayLike<number>[], w: ArrayLike<number>): Float64Array {
  const out = new Float64Array(xs[0].length);
  xs.forEach((x, k) => { for (let i = 0; i < out.length; i++) out[i] += w[k] * x[i]; });
  return out;
}

export function weightedSumBackward(xs: readonly ArrayLike<number>[], w: ArrayLike<number>, g: ArrayLike<number>) {
  return {
    dxs: xs.map((_, k) => Float64Array.from(g, (v) => w[k] * v)),
    dw: Float64Array.from(xs, (x) => { let s = 0; for (let i = 0; i < g.length; i++) s += g[i] * x[i]; return s; }),
  };
}

export function mix(xs: readonly ArrayLike<number>[], logits: ArrayLike<number>, temperature = 1): Float64Array {
  return weightedSum(xs, softmax(logits, logits.length, temperature));
}
