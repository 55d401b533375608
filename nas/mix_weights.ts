// The mixing weights of one supernet step, computed on the CPU from the architecture
// parameters and uploaded as one flat vector (the supernet slices it), so that one readback of
// its gradient gives every architecture gradient. Per searchable node s, in order:
//   edges   p_{m->s} = softmax(beta_m / T)[beta_idx] for each predecessor m (pred order)
//   head    softmax(alpha_row[S] / T) over the row's sampled ops S, for each predecessor row
//   stack   softmax(alpha_layer[S] / T) for each stack layer
// then, for the last node, p_{m->last} for each predecessor, or softmax of those (the original's
// double softmax, spec 12.1) when `doubleSoftmax` is set.
import { mapArchParams, softmax, type ArchParams } from './arch_params.js';
import type { SampledOps } from './cost_chain.js';
import type { SearchSpace } from './space.js';

export interface MixLayout {
  /** Offsets into the vector: edges[s], head[s][r], stack[s][l], indexed by node s. */
  edges: number[];
  head: number[][];
  stack: number[][];
  last: number;
  size: number;
}

export function mixLayout(space: SearchSpace, sampled: SampledOps): MixLayout {
  const n = space.numNodes;
  const layout: MixLayout = { edges: [], head: [], stack: [], last: 0, size: 0 };
  let o = 0;
  for (let s = 1; s < n - 1; s++) {
    layout.edges[s] = o; o += space.pred[s].length;
    layout.head[s] = sampled.head[s - 1].map((ids) => { const at = o; o += ids.length; return at; });
    layout.stack[s] = sampled.stack[s - 1].map((ids) => { const at = o; o += ids.length; return at; });
  }
  layout.last = o; o += space.pred[n - 1].length;
  layout.size = o;
  return layout;
}

export interface MixOptions { temperature: number; doubleSoftmax: boolean }

/** The weight vector for these parameters and samples. */
export function mixWeights(space: SearchSpace, params: ArchParams, sampled: SampledOps, layout: MixLayout, o: MixOptions): Float64Array {
  const w = new Float64Array(layout.size), T = o.temperature, n = space.numNodes;
  const kh = space.primitivesHead.length, ks = space.primitivesStack.length;
  const p = params.betas.map((b) => softmax(b, T));
  for (let s = 1; s < n - 1; s++) {
    space.pred[s].forEach((m, r) => { w[layout.edges[s] + r] = p[m][space.predBetaIdx[s][r]]; });
    sampled.head[s - 1].forEach((ids, r) => w.set(softmax(params.head[s - 1].subarray(r * kh, (r + 1) * kh), T, ids), layout.head[s][r]));
    sampled.stack[s - 1].forEach((ids, l) => w.set(softmax(params.stack[s - 1].subarray(l * ks, (l + 1) * ks), T, ids), layout.stack[s][l]));
  }
  const q = Float64Array.from(space.pred[n - 1], (m, r) => p[m][space.predBetaIdx[n - 1][r]]);
  w.set(o.doubleSoftmax ? softmax(q, 1) : q, layout.last);
  return w;
}

/** dy/dx of y = softmax(x / T) applied to dy: dx_i = y_i (dy_i - sum_j y_j dy_j) / T. */
function softmaxBackward(y: ArrayLike<number>, dy: ArrayLike<number>, T: number): Float64Array {
  let dot = 0;
  for (let i = 0; i < y.length; i++) dot += y[i] * dy[i];
  return Float64Array.from({ length: y.length }, (_, i) => (y[i] * (dy[i] - dot)) / T);
}

/** Gradients of the architecture parameters given the gradient of the weight vector. */
export function mixWeightsBackward(space: SearchSpace, params: ArchParams, sampled: SampledOps, layout: MixLayout, o: MixOptions, dw: ArrayLike<number>): ArchParams {
  const grad = mapArchParams(space, (_k, _i, len) => new Float64Array(len));
  const T = o.temperature, n = space.numNodes;
  const kh = space.primitivesHead.length, ks = space.primitivesStack.length;
  const p = params.betas.map((b) => softmax(b, T));
  const dp = p.map((x) => new Float64Array(x.length));   // d loss / d p, per source and successor
  const rowGrad = (alpha: Float64Array, g: Float64Array, k: number, ids: number[], row: number, at: number) => {
    const y = softmax(alpha.subarray(row * k, (row + 1) * k), T, ids);
    const dx = softmaxBackward(y, Array.from(ids, (_, j) => dw[at + j]), T);
    ids.forEach((i, j) => { g[row * k + i] += dx[j]; });
  };
  for (let s = 1; s < n - 1; s++) {
    space.pred[s].forEach((m, r) => { dp[m][space.predBetaIdx[s][r]] += dw[layout.edges[s] + r]; });
    sampled.head[s - 1].forEach((ids, r) => rowGrad(params.head[s - 1], grad.head[s - 1], kh, ids, r, layout.head[s][r]));
    sampled.stack[s - 1].forEach((ids, l) => rowGrad(params.stack[s - 1], grad.stack[s - 1], ks, ids, l, layout.stack[s][l]));
  }
  const q = Float64Array.from(space.pred[n - 1], (m, r) => p[m][space.predBetaIdx[n - 1][r]]);
  const dLast = Float64Array.from(q, (_, r) => dw[layout.last + r]);
  const dq = o.doubleSoftmax ? softmaxBackward(softmax(q, 1), dLast, 1) : dLast;
  space.pred[n - 1].forEach((m, r) => { dp[m][space.predBetaIdx[n - 1][r]] += dq[r]; });
  p.forEach((pm, m) => grad.betas[m].set(softmaxBackward(pm, dp[m], T)));
  return grad;
}
