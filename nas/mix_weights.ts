// The mixing weights of one supernet step, computed on the CPU from the architecture
// parameters and uploaded as one flat vector (the supernet slices it), so that one readback of
// its gradient gives every architecture gradient. Per searchable node s, in order:
//   edges   p_{m->s} = softmax(beta_m / T)[beta_idx] for each predecessor m (pred order)
//   head    softmax(alpha_row[S] / T) over the row's sampled ops S, for each predecessor row
//   stack   softmax(alpha_layer[S] / T) for each stack layer
// then, for the last node, p_{m->last} for each predecessor, or softmax of those (the original's
// double softmax, spec 12.1) when `doubleSoftmax` is set.
import { archGradient, archLeaves, type ArchParams, type ArchVars } from './arch_params.js';
import type { SampledOps } from './cost_chain.js';
import type { SearchSpace } from './space.js';
import { Tape, type Var } from './tape.js';

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
    const place = (ids: number[]) => { const at = o; o += ids.length; return at; };
    layout.head[s] = sampled.head[s - 1].map(place);
    layout.stack[s] = sampled.stack[s - 1].map(place);
  }
  layout.last = o; o += space.pred[n - 1].length;
  layout.size = o;
  return layout;
}

export interface MixOptions { temperature: number; doubleSoftmax: boolean }

/**
 * The weight vector as tape nodes, in layout order: the one definition of the mixing weights
 * (their values and, by the tape, their gradients). A sampling variant (Gumbel-softmax, say)
 * is another function of this shape.
 */
export function mixWeightNodes(
  t: Tape, space: SearchSpace, p: ArchVars, sampled: SampledOps, layout: MixLayout, o: MixOptions,
): Var[] {
  const w: Var[] = new Array(layout.size), T = o.temperature, n = space.numNodes;
  const kh = space.primitivesHead.length, ks = space.primitivesStack.length;
  const put = (at: number, xs: Var[]) => xs.forEach((x, j) => { w[at + j] = x; });
  const rowSoftmax = (alpha: Var[], k: number, row: number, ids: number[]) =>
    t.softmax(ids.map((i) => alpha[row * k + i]), T);
  const edge = p.betas.map((b) => t.softmax(b, T));
  for (let s = 1; s < n - 1; s++) {
    space.pred[s].forEach((m, r) => { w[layout.edges[s] + r] = edge[m][space.predBetaIdx[s][r]]; });
    sampled.head[s - 1].forEach((ids, r) => put(layout.head[s][r], rowSoftmax(p.head[s - 1], kh, r, ids)));
    sampled.stack[s - 1].forEach((ids, l) => put(layout.stack[s][l], rowSoftmax(p.stack[s - 1], ks, l, ids)));
  }
  const q = space.pred[n - 1].map((m, r) => edge[m][space.predBetaIdx[n - 1][r]]);
  put(layout.last, o.doubleSoftmax ? t.softmax(q, 1) : q);
  return w;
}

/** The weight vector for these parameters and samples. */
export function mixWeights(
  space: SearchSpace, params: ArchParams, sampled: SampledOps, layout: MixLayout, o: MixOptions,
): Float64Array {
  const t = new Tape();
  return Float64Array.from(mixWeightNodes(t, space, archLeaves(t, params), sampled, layout, o), (x) => x.value);
}

/** Gradients of the architecture parameters given the gradient `dw` of the weight vector. */
export function mixWeightsBackward(
  space: SearchSpace, params: ArchParams, sampled: SampledOps, layout: MixLayout, o: MixOptions, dw: ArrayLike<number>,
): ArchParams {
  return archGradient(space, params, (t, p) => t.dot(mixWeightNodes(t, space, p, sampled, layout, o), dw)).grad;
}
