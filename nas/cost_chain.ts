// The chained expected cost (spec 3.4) and its exact gradient by reverse mode:
//   C_s = E_s + sum_{s'} p_{s->s'} (h_{s->s'} + C_{s'}),  C_{N-1} = 0,  total = C_0 + c_classifier
// with p = softmax(beta_s / T), h the head edge's expected op cost, E_s the summed expected
// cost of node s's stack layers (the stem cost for node 0). An op expectation is
// sum_k w_k c_k with w = softmax(alpha[S] / T) over the row's sampled subset S (the original)
// or over every candidate (expectOver 'all', spec 9b).
import { mapArchParams, softmax, type ArchParams } from './arch_params.js';
import type { SearchSpace } from './space.js';

/** A cost table resolved to the positions of one space (see nas/cost_table.ts). */
export interface ResolvedCosts {
  stem: number;
  classifier: number;
  /** head[b][r][k]: op k on the edge from pred[b+1][r] into block b (node b+1). */
  head: number[][][];
  /** stack[b][l][k]: op k in stack layer l of block b. */
  stack: number[][][];
  /** Fixed conv1_1 branch costs, one per predecessor of the last node, in pred order. */
  last: number[];
}

/** Sampled candidate indices per head row and per stack layer, in the layout of ResolvedCosts. */
export interface SampledOps {
  head: number[][][];
  stack: number[][][];
}

export interface ChainOptions {
  temperature: number;
  sampled?: SampledOps;
  /** 'sampled' (original): expectations over the sampled subsets; 'all' ignores them. */
  expectOver?: 'sampled' | 'all';
}

export interface ChainResult {
  cost: number;
  /** d cost / d parameter, shaped like the parameters. */
  grad: ArchParams;
  /** C_s of every node (0 for the last). */
  nodeCost: Float64Array;
}

/** Expected cost of one row and its gradient written into g[offset + k] (scaled by `scale`). */
function rowExpectation(alpha: Float64Array, offset: number, costs: number[], ids: readonly number[] | undefined, temp: number) {
  const idx = ids ?? costs.map((_, k) => k);
  const w = softmax(alpha.subarray(offset, offset + costs.length), temp, idx);
  let e = 0;
  idx.forEach((k, j) => { e += w[j] * costs[k]; });
  return {
    value: e,
    backward(g: Float64Array, scale: number) {
      // d e / d alpha_k = w_k (c_k - e) / T for k in the subset
      idx.forEach((k, j) => { g[offset + k] += scale * w[j] * (costs[k] - e) / temp; });
    },
  };
}

export function chainedCost(space: SearchSpace, costs: ResolvedCosts, params: ArchParams, opts: ChainOptions): ChainResult {
  const n = space.numNodes, T = opts.temperature;
  const kh = space.primitivesHead.length, ks = space.primitivesStack.length;
  const sampled = opts.expectOver === 'sampled' ? opts.sampled : undefined;
  const grad = mapArchParams(space, (_k, _i, len) => new Float64Array(len));

  // Forward: per-row expectations, then the chain from the back.
  const head = costs.head.map((rows, b) => rows.map((c, r) => rowExpectation(params.head[b], r * kh, c, sampled?.head[b][r], T)));
  const stack = costs.stack.map((rows, b) => rows.map((c, l) => rowExpectation(params.stack[b], l * ks, c, sampled?.stack[b][l], T)));
  const headCost = (m: number, s: number): number => {
    const r = space.pred[s].indexOf(m);
    return s === n - 1 ? costs.last[r] : head[s - 1][r].value;
  };
  const p = params.betas.map((b) => softmax(b, T));
  const C = new Float64Array(n);
  const v: Float64Array[] = [];   // v[s][j] = h_{s->succ j} + C_{succ j}
  for (let s = n - 2; s >= 0; s--) {
    const E = s === 0 ? costs.stem : stack[s - 1].reduce((a, x) => a + x.value, 0);
    v[s] = Float64Array.from(space.succ[s], (t) => headCost(s, t) + C[t]);
    C[s] = E + v[s].reduce((a, x, j) => a + p[s][j] * x, 0);
  }

  // Backward: gC[s] = d total / d C_s accumulates forward along the edges.
  const gC = new Float64Array(n);
  gC[0] = 1;
  for (let s = 0; s < n - 1; s++) {
    const ps = p[s], mean = v[s].reduce((a, x, j) => a + ps[j] * x, 0);
    space.succ[s].forEach((t, j) => {
      gC[t] += gC[s] * ps[j];
      grad.betas[s][j] = gC[s] * ps[j] * (v[s][j] - mean) / T;
      if (t < n - 1) head[t - 1][space.pred[t].indexOf(s)].backward(grad.head[t - 1], gC[s] * ps[j]);
    });
    if (s > 0) for (const row of stack[s - 1]) row.backward(grad.stack[s - 1], gC[s]);
  }
  return { cost: C[0] + costs.classifier, grad, nodeCost: C };
}
