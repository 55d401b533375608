// Architecture parameters as plain arrays (spec 2.1): one beta vector per source node (its
// outgoing edges), one head alpha matrix per searchable block (incoming edges x head ops) and
// one stack alpha matrix per block (stack layers x stack ops), matrices row-major.
import type { SearchSpace } from './space.js';
import { Tape, type Var } from './tape.js';

export interface ArchParams {
  /** betas[m]: logits of node m's outgoing edges, in out_id order; m = 0..N-2. */
  betas: Float64Array[];
  /** head[b]: block b (node b+1), row r = edge from pred[b+1][r], |PRIMITIVES_head| columns. */
  head: Float64Array[];
  /** stack[b]: block b (node b+1), row l = stack layer l, |PRIMITIVES_stack| columns. */
  stack: Float64Array[];
}

/** Lengths of every vector of the space's parameters, in the ArchParams layout. */
export function archShapes(space: SearchSpace): { betas: number[]; head: number[]; stack: number[] } {
  const blocks = Array.from({ length: space.numNodes - 2 }, (_, b) => b + 1);
  return {
    betas: space.succ.slice(0, -1).map((o) => o.length),
    head: blocks.map((s) => space.pred[s].length * space.primitivesHead.length),
    stack: blocks.map((s) => space.numLayers[s] * space.primitivesStack.length),
  };
}

export function mapArchParams(
  space: SearchSpace, f: (kind: keyof ArchParams, i: number, len: number) => Float64Array,
): ArchParams {
  const sh = archShapes(space);
  return {
    betas: sh.betas.map((n, i) => f('betas', i, n)),
    head: sh.head.map((n, i) => f('head', i, n)),
    stack: sh.stack.map((n, i) => f('stack', i, n)),
  };
}

/** All zeros: every edge and every op equally likely. */
export function zeroArchParams(space: SearchSpace): ArchParams {
  return mapArchParams(space, (_k, _i, n) => new Float64Array(n));
}

/** The parameters as leaves of a tape, in the ArchParams layout. */
export interface ArchVars {
  betas: Var[][];
  head: Var[][];
  stack: Var[][];
}

export function archLeaves(t: Tape, params: ArchParams): ArchVars {
  const leaves = (xs: Float64Array[]) => xs.map((x) => Array.from(x, (v) => t.leaf(v)));
  return { betas: leaves(params.betas), head: leaves(params.head), stack: leaves(params.stack) };
}

/**
 * The value of `f` (written forward, on the tape) at `params` and its gradient with respect to
 * every parameter.
 */
export function archGradient(
  space: SearchSpace, params: ArchParams, f: (t: Tape, p: ArchVars) => Var,
): { value: number; grad: ArchParams } {
  const t = new Tape(), p = archLeaves(t, params);
  const out = f(t, p);
  t.backward(out);
  return { value: out.value, grad: mapArchParams(space, (k, i) => Float64Array.from(p[k][i], (v) => v.grad)) };
}

/** softmax(x[idx] / temp) over the chosen entries (all when idx is omitted). */
export function softmaxArray(x: ArrayLike<number>, temp: number, idx?: readonly number[]): Float64Array {
  const ids = idx ?? Array.from({ length: x.length }, (_, i) => i);
  let max = -Infinity;
  for (const i of ids) max = Math.max(max, x[i] / temp);
  const out = new Float64Array(ids.length);
  let sum = 0;
  ids.forEach((i, j) => { out[j] = Math.exp(x[i] / temp - max); sum += out[j]; });
  for (let j = 0; j < out.length; j++) out[j] /= sum;
  return out;
}

const JSON_KEYS = { betas: 'betas', head: 'head_alphas', stack: 'stack_alphas' } as const;

/**
 * Reads parameters from JSON: {"betas": [[...] per source node], "head_alphas": [[[...] per
 * row] per block], "stack_alphas": [[[...] per layer] per block]}; checks every shape.
 */
export function archParamsFromJson(text: string, space: SearchSpace, source: string): ArchParams {
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new Error(`arch params ${source}: ${(err as Error).message}`);
  }
  const sh = archShapes(space);
  return mapArchParams(space, (kind, i, n) => {
    const key = JSON_KEYS[kind];
    const list = data?.[key];
    if (!Array.isArray(list) || list.length !== sh[kind].length) {
      throw new Error(`arch params ${source}: ${key} must be a list of ${sh[kind].length} entries for this space`);
    }
    const flat = (kind === 'betas' ? [list[i]] : list[i]).flat();
    if (!Array.isArray(list[i]) || flat.length !== n || flat.some((v: unknown) => typeof v !== 'number')) {
      throw new Error(`arch params ${source}: ${key}[${i}] must hold ${n} numbers for this space`);
    }
    return Float64Array.from(flat as number[]);
  });
}

export function archParamsToJson(space: SearchSpace, p: ArchParams): string {
  const rows = (m: Float64Array, k: number) =>
    Array.from({ length: m.length / k }, (_, r) => Array.from(m.subarray(r * k, (r + 1) * k)));
  return JSON.stringify({
    betas: p.betas.map((b) => Array.from(b)),
    head_alphas: p.head.map((m) => rows(m, space.primitivesHead.length)),
    stack_alphas: p.stack.map((m) => rows(m, space.primitivesStack.length)),
  });
}
