// Architecture derivation (spec 5.1 to 5.3): the max-product (Viterbi) path over the beta
// softmaxes, the argmax op of each head edge and stack layer on it, skip_connect layers
// removed. Softmaxes are taken at temperature 1, as in the original (spec 2.4).
//
// With a cost target (spec 9d: "select the final architecture with the constraint in mind"),
// an architecture outside the target's band is replaced by the most probable one inside it:
// the largest product of every chosen edge and op probability whose table cost lies in the
// band, found by dynamic programming over (node, cost bucket). Near-uniform weights otherwise
// leave the argmax architecture's cost to chance, however close the expected cost is.
import { softmaxArray, type ArchParams } from './arch_params.js';
import type { ArchSummary } from './arch_summary.js';
import type { ResolvedCosts } from './cost_chain.js';
import { formatArch, totalLayers, type NetConfig } from './net_config.js';
import type { SearchSpace } from './space.js';

/** Index of the largest entry; ties keep the first. */
export function argmax(x: ArrayLike<number>, from = 0, len = x.length): number {
  let best = 0;
  for (let i = 1; i < len; i++) if (x[from + i] > x[from + best]) best = i;
  return best;
}

/** The node path 0..N-1 maximising the product of edge probabilities; ties keep the nearest predecessor. */
export function derivePath(space: SearchSpace, betas: ArchParams['betas']): number[] {
  const p = betas.map((b) => softmaxArray(b, 1));
  const score = [1], back = [-1];
  for (let s = 1; s < space.numNodes; s++) {
    let best = -1, bestScore = 0;
    space.pred[s].forEach((m, r) => {
      const v = score[m] * p[m][space.predBetaIdx[s][r]];
      if (v > bestScore) { best = m; bestScore = v; }
    });
    if (best < 0) best = space.pred[s][0];   // all products underflowed to 0: keep the nearest
    score.push(bestScore); back.push(best);
  }
  const path = [space.numNodes - 1];
  while (path[0] !== 0) path.unshift(back[path[0]]);
  return path;
}

/** A path and, for each block on it (path[1..-2]), its head op index and stack op index per layer. */
export interface Choice { path: number[]; head: number[]; stack: number[][] }

export interface Derived { path: number[]; net: NetConfig; choice: Choice }

function netOf(space: SearchSpace, c: Choice): NetConfig {
  const net: NetConfig = { netType: space.netType, blocks: [] };
  if (space.netType === 'mbv2') net.blocks.push({ chs: [space.initDim, space.headDim], head: 'mbconv_k3_t1', stack: [], stride: 1 });
  for (let i = 1; i < c.path.length - 1; i++) {
    const s = c.path[i], m = c.path[i - 1];
    const stack = c.stack[i - 1].map((k) => space.primitivesStack[k]).filter((op) => op !== 'skip_connect');
    net.blocks.push({
      chs: [space.chs[m], space.chs[s]], head: space.primitivesHead[c.head[i - 1]], stack,
      stride: space.predStride[s][space.pred[s].indexOf(m)],
    });
  }
  if (space.netType === 'mbv2') net.conv1_1 = [space.chs[c.path[c.path.length - 2]], space.lastDim];
  return net;
}

/** The derived architecture: path, then ops by argmax (plain softmax order equals logit order). */
export function deriveArch(space: SearchSpace, params: ArchParams): Derived {
  return derivedOf(space, argmaxChoice(space, params));
}

export const derivedOf = (space: SearchSpace, c: Choice): Derived => ({ path: c.path, net: netOf(space, c), choice: c });

function argmaxChoice(space: SearchSpace, params: ArchParams): Choice {
  const path = derivePath(space, params.betas);
  const kh = space.primitivesHead.length, ks = space.primitivesStack.length;
  const blocks = path.slice(1, -1);
  return {
    path,
    head: blocks.map((s, i) => argmax(params.head[s - 1], space.pred[s].indexOf(path[i]) * kh, kh)),
    stack: blocks.map((s) => Array.from({ length: space.numLayers[s] }, (_, l) => argmax(params.stack[s - 1], l * ks, ks))),
  };
}

/** The cost of a skip layer in the derived network: none, it is removed (whatever skip_reg charged in the search). */
function stackCost(space: SearchSpace, costs: ResolvedCosts, s: number, l: number, k: number): number {
  return space.primitivesStack[k] === 'skip_connect' ? 0 : costs.stack[s - 1][l][k];
}

/**
 * One op row a choice uses: the head edge into a block on its path (`index` = the predecessor's
 * position in pred) or one of the block's stack layers (`index` = the layer), with the op drawn.
 */
export interface ChoiceOpRow { block: number; head: boolean; index: number; op: number }

/** The op rows of a choice, block by block along its path (the last node has none). */
export function choiceOpRows(space: SearchSpace, c: Choice): ChoiceOpRow[] {
  const rows: ChoiceOpRow[] = [];
  for (let i = 1; i < c.path.length - 1; i++) {
    const s = c.path[i];
    rows.push({ block: s - 1, head: true, index: space.pred[s].indexOf(c.path[i - 1]), op: c.head[i - 1] });
    c.stack[i - 1].forEach((op, l) => rows.push({ block: s - 1, head: false, index: l, op }));
  }
  return rows;
}

/** The logits of one op row: a view into the parameters (or their gradient, of the same layout). */
export function rowLogits(space: SearchSpace, params: ArchParams, row: ChoiceOpRow): Float64Array {
  const k = row.head ? space.primitivesHead.length : space.primitivesStack.length;
  return (row.head ? params.head : params.stack)[row.block].subarray(row.index * k, (row.index + 1) * k);
}

/**
 * The table cost of a choice: stem, classifier, each edge's head op (conv1_1 into the last node)
 * and kept stack ops. For a ResNet-based space that is the supernet path's cost: the derived
 * ResNet drops the final 1x1 conv (spec 5.3), which the search's cost counts.
 */
export function choiceCost(space: SearchSpace, costs: ResolvedCosts, c: Choice): number {
  const last = c.path.length - 1;
  let total = costs.stem + costs.classifier + costs.last[space.pred[c.path[last]].indexOf(c.path[last - 1])];
  for (const { block, head, index, op } of choiceOpRows(space, c)) {
    total += head ? costs.head[block][index][op] : stackCost(space, costs, block + 1, index, op);
  }
  return total;
}

/** The costs an architecture may have for a target: [T(1-tol), T(1+tol)] two-sided, [0, T] for an upper bound. */
export interface CostBand { target: number; lo: number; hi: number }

export function costBand(target: number, form: 'upper' | 'two_sided', tolerance: number): CostBand {
  return form === 'upper' ? { target, lo: 0, hi: target } : { target, lo: target * (1 - tolerance), hi: target * (1 + tolerance) };
}

/** The band of a config's optim.sub_obj target settings; none without a target. */
export function targetBand(so: { target: number | null; target_form: 'upper' | 'two_sided'; target_tolerance: number }): CostBand | undefined {
  return so.target === null ? undefined : costBand(so.target, so.target_form, so.target_tolerance);
}

export const inBand = (band: CostBand, cost: number) => cost >= band.lo && cost <= band.hi;

/** A partial architecture in the dynamic programme: its cost and log-probability so far, and how it got there. */
interface State { cost: number; logp: number; from: State | null; m: number; k: number }

/** The largest cost any architecture of the space can have. */
function maxCost(space: SearchSpace, costs: ResolvedCosts): number {
  const max = (row: number[]) => Math.max(...row);
  return costs.stem + costs.classifier + max(costs.last)
    + costs.head.reduce((a, rows) => a + max(rows.map(max)), 0) + costs.stack.reduce((a, rows) => a + rows.reduce((b, row) => b + max(row), 0), 0);
}

/**
 * The most probable choice (product of edge and op probabilities at temperature 1) whose cost
 * lies in the band; when none does, the one whose cost is nearest the target in ratio. Costs
 * are kept exactly; states whose costs share a bucket keep the most probable, which can only
 * miss a better choice within (steps x bucket) of the band's edges. Buckets default to a
 * thousandth of the target, and at most 20,000 span the space's costs.
 */
export function mostProbableInBand(
  space: SearchSpace, params: ArchParams, costs: ResolvedCosts, band: CostBand, bucket?: number,
): { choice: Choice; cost: number; inBand: boolean } {
  const n = space.numNodes, kh = space.primitivesHead.length, ks = space.primitivesStack.length;
  const width = bucket ?? Math.max(band.target / 1000, maxCost(space, costs) / 20000);
  const logSoftmax = (x: Float64Array, from: number, len: number) => Array.from(softmaxArray(x.subarray(from, from + len), 1), Math.log);
  const keep = (into: Map<number, State>, st: State) => {
    const key = Math.floor(st.cost / width), old = into.get(key);
    if (!old || st.logp > old.logp) into.set(key, st);
  };
  const at: Map<number, State>[] = [new Map([[0, { cost: costs.stem + costs.classifier, logp: 0, from: null, m: -1, k: -1 }]])];
  for (let s = 1; s < n; s++) {
    let states = new Map<number, State>();
    space.pred[s].forEach((m, r) => {
      const edge = Math.log(softmaxArray(params.betas[m], 1)[space.predBetaIdx[s][r]]);
      const ops = s === n - 1 ? [{ k: -1, cost: costs.last[r], logp: 0 }]
        : logSoftmax(params.head[s - 1], r * kh, kh).map((logp, k) => ({ k, cost: costs.head[s - 1][r][k], logp }));
      for (const from of at[m].values()) for (const o of ops) keep(states, { cost: from.cost + o.cost, logp: from.logp + edge + o.logp, from, m, k: o.k });
    });
    for (let l = 0; l < space.numLayers[s]; l++) {
      const layer = logSoftmax(params.stack[s - 1], l * ks, ks), next = new Map<number, State>();
      for (const from of states.values()) {
        layer.forEach((logp, k) => keep(next, { cost: from.cost + stackCost(space, costs, s, l, k), logp: from.logp + logp, from, m: -1, k }));
      }
      states = next;
    }
    at.push(states);
  }
  const ends = [...at[n - 1].values()];
  const within = ends.filter((st) => inBand(band, st.cost));
  const miss = (st: State) => Math.abs(Math.log(st.cost / band.target));
  const best = within.length ? within.reduce((a, b) => (b.logp > a.logp ? b : a)) : ends.reduce((a, b) => (miss(b) < miss(a) ? b : a));

  // Walk back: a node's stack layers (m = -1), then its arrival edge (m = predecessor, k = head op).
  const path = [n - 1], head: number[] = [], stack: number[][] = [];
  for (let st = best; st.from;) {
    const layers: number[] = [];
    while (st.m < 0) { layers.unshift(st.k); st = st.from!; }
    if (path[0] !== n - 1) { head.unshift(st.k); stack.unshift(layers); }
    path.unshift(st.m);
    st = st.from!;
  }
  return { choice: { path, head, stack }, cost: best.cost, inBand: within.length > 0 };
}

export interface TargetDerived extends Derived {
  /** The table cost of the derived architecture. */
  cost: number;
  /**
   * 'viterbi' the original derivation (no target, or its architecture is in the band), else
   * 'in_band'; 'sampled' a random architecture of the band (nas/sample.ts), no derivation at all.
   */
  method: 'viterbi' | 'in_band' | 'sampled';
  /** The original derivation's cost, when it was replaced. */
  viterbiCost?: number;
  /** False when no architecture of the space has a cost in the band (the nearest is taken). */
  inBand: boolean;
}

/** The original derivation, kept when it meets the band (or there is none), else the most probable architecture in the band. */
export function deriveForTarget(space: SearchSpace, params: ArchParams, costs: ResolvedCosts, band?: CostBand): TargetDerived {
  const c = argmaxChoice(space, params), cost = choiceCost(space, costs, c);
  if (!band || inBand(band, cost)) return { ...derivedOf(space, c), cost, method: 'viterbi', inBand: true };
  const r = mostProbableInBand(space, params, costs, band);
  return { ...derivedOf(space, r.choice), cost: r.cost, method: 'in_band', viterbiCost: cost, inBand: r.inBand };
}

/** How a run records a derived architecture (metrics.jsonl epoch lines, net_config.json). */
export function derivedRecord(space: SearchSpace, d: TargetDerived, summary: ArchSummary, units: string) {
  return {
    arch: formatArch(d.net), layers: totalLayers(d.net), path: d.path, ops: choiceOps(space, d.choice), params: summary.params, madds: summary.madds,
    table_cost: summary.cost, units, derivation: d.method, ...(d.viterbiCost !== undefined ? { viterbi_cost: d.viterbiCost } : {}),
  };
}

/**
 * A choice's ops by name, skips included: what the net_config drops (a skipped stack layer) but
 * the supernet needs to run the same architecture on its own weights (nas/supernet_score.ts).
 */
export function choiceOps(space: SearchSpace, c: Choice): { head: string[]; stack: string[][] } {
  return { head: c.head.map((k) => space.primitivesHead[k]), stack: c.stack.map((l) => l.map((k) => space.primitivesStack[k])) };
}

/** The choice a derived record names (its path and ops), checked against the space. */
export function choiceOfRecord(space: SearchSpace, r: { path?: unknown; ops?: { head?: unknown; stack?: unknown } }, where: string): Choice {
  const fail = (why: string): never => { throw new Error(`${where}: ${why}`); };
  const path = r.path, head = r.ops?.head, stack = r.ops?.stack;
  if (!Array.isArray(path) || !Array.isArray(head) || !Array.isArray(stack)) {
    return fail('no path and ops fields: write it with densenas sample, or derive the search run again (densenas derive)');
  }
  const n = space.numNodes;
  if (path[0] !== 0 || path[path.length - 1] !== n - 1) fail(`path ${JSON.stringify(path)} does not run from node 0 to node ${n - 1}`);
  for (let i = 1; i < path.length; i++) if (!space.pred[path[i]]?.includes(path[i - 1])) fail(`path ${JSON.stringify(path)}: no edge ${path[i - 1]} -> ${path[i]} in this space`);
  const blocks = path.slice(1, -1);
  if (head.length !== blocks.length || stack.length !== blocks.length) fail(`ops: ${head.length} head and ${stack.length} stack entries for ${blocks.length} blocks`);
  const index = (names: string[], op: unknown, what: string) => {
    const k = names.indexOf(op as string);
    return k >= 0 ? k : fail(`${what} op ${JSON.stringify(op)} is not a candidate of this space (${names.join(', ')})`);
  };
  return {
    path,
    head: head.map((op) => index(space.primitivesHead, op, 'head')),
    stack: blocks.map((s, i) => {
      const l = stack[i];
      if (!Array.isArray(l) || l.length !== space.numLayers[s]) fail(`ops.stack[${i}]: block ${s} has ${space.numLayers[s]} stack layers`);
      return (l as unknown[]).map((op) => index(space.primitivesStack, op, 'stack'));
    }),
  };
}
