// The chained expected cost (spec 3.4), written forward on the tape (nas/tape.ts), which gives its
// exact gradient:
//   C_s = E_s + sum_{s'} p_{s->s'} (h_{s->s'} + C_{s'}),  C_{N-1} = 0,  total = C_0 + c_classifier
// with p = softmax(beta_s / T), h the head edge's expected op cost, E_s the summed expected
// cost of node s's stack layers (the stem cost for node 0). An op expectation is
// sum_k w_k c_k with w = softmax(alpha[S] / T) over the row's sampled subset S (the original)
// or over every candidate (expectOver 'all', spec 9b).
import { archGradient, type ArchParams, type ArchVars } from './arch_params.js';
import type { SearchSpace } from './space.js';
import { valueOf, type Scalar, type Tape, type Var } from './tape.js';

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

/**
 * The chained cost as tape nodes: the total and C_s of every node (the last one's is 0). The one
 * definition of the expected cost; its gradient comes from the tape.
 */
export function chainedCostNodes(
  t: Tape, space: SearchSpace, costs: ResolvedCosts, p: ArchVars, opts: ChainOptions,
): { cost: Var; nodeCost: Scalar[] } {
  const n = space.numNodes, T = opts.temperature;
  const kh = space.primitivesHead.length, ks = space.primitivesStack.length;
  const sampled = opts.expectOver === 'sampled' ? opts.sampled : undefined;
  /** sum_k w_k c_k over the row's subset (every op when ids is undefined). */
  const expectation = (alpha: Var[], k: number, row: number, c: number[], ids = c.map((_, i) => i)) =>
    t.dot(t.softmax(ids.map((i) => alpha[row * k + i]), T), ids.map((i) => c[i]));
  const head = costs.head.map((rows, b) => rows.map((c, r) => expectation(p.head[b], kh, r, c, sampled?.head[b][r])));
  const stack = costs.stack.map((rows, b) =>
    rows.map((c, l) => expectation(p.stack[b], ks, l, c, sampled?.stack[b][l])));
  const headCost = (m: number, s: number): Scalar => {
    const r = space.pred[s].indexOf(m);
    return s === n - 1 ? costs.last[r] : head[s - 1][r];
  };
  const C: Scalar[] = new Array(n).fill(0);
  for (let s = n - 2; s >= 0; s--) {
    const E = s === 0 ? costs.stem : t.sum(stack[s - 1]);
    const edge = t.softmax(p.betas[s], T);
    C[s] = t.add(E, t.sum(space.succ[s].map((u, j) => t.mul(edge[j], t.add(headCost(s, u), C[u])))));
  }
  return { cost: t.add(C[0], costs.classifier), nodeCost: C };
}

export function chainedCost(
  space: SearchSpace, costs: ResolvedCosts, params: ArchParams, opts: ChainOptions,
): ChainResult {
  let nodeCost: Scalar[] = [];
  const { value, grad } = archGradient(space, params, (t, p) => {
    const chain = chainedCostNodes(t, space, costs, p, opts);
    nodeCost = chain.nodeCost;
    return chain.cost;
  });
  return { cost: value, grad, nodeCost: Float64Array.from(nodeCost, valueOf) };
}
