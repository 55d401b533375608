// Op sampling per step (spec 2.2), the rescaling after an architecture step (spec 2.5), and
// whole architectures drawn from the distribution the parameters define (arch_gradient 'paths').
import type { Random } from '../engine/random.js';
import { argmax, choiceOpRows, rowLogits, type Choice } from './derive.js';
import { softmaxArray, type ArchParams } from './arch_params.js';
import type { SampledOps } from './cost_chain.js';
import type { SearchSpace } from './space.js';

export type SamplePolicy = 'prob' | 'uniform' | 'all' | 'argmax';

/**
 * `num` distinct candidates of one row without replacement, sorted ascending: drawn with
 * probabilities softmax(row) (temperature 1, as the original) or uniformly; every index when
 * `num` covers the row; 'argmax' takes the most probable one alone.
 */
export function sampleRow(row: ArrayLike<number>, num: number, policy: SamplePolicy, rng: Random): number[] {
  const k = row.length;
  if (policy === 'argmax') return [argmax(row)];
  if (policy === 'all' || num >= k) return Array.from({ length: k }, (_, i) => i);
  const w = policy === 'prob' ? Array.from(softmaxArray(row, 1)) : new Array(k).fill(1);
  const picked: number[] = [];
  for (let t = 0; t < num; t++) {
    let total = 0;
    for (let i = 0; i < k; i++) if (!picked.includes(i)) total += w[i];
    let u = rng.uniform() * total, choice = -1;
    for (let i = 0; i < k; i++) {
      if (picked.includes(i)) continue;
      choice = i;
      u -= w[i];
      if (u < 0) break;
    }
    picked.push(choice);
  }
  return picked.sort((a, b) => a - b);
}

/** Samples every head row and stack layer of the space. */
export function sampleOps(space: SearchSpace, params: ArchParams, num: number, policy: SamplePolicy, rng: Random): SampledOps {
  const kh = space.primitivesHead.length, ks = space.primitivesStack.length;
  const rows = (m: Float64Array, k: number) => Array.from({ length: m.length / k }, (_, r) => sampleRow(m.subarray(r * k, (r + 1) * k), num, policy, rng));
  return { head: params.head.map((m) => rows(m, kh)), stack: params.stack.map((m) => rows(m, ks)) };
}

/**
 * After an architecture step, shifts the sampled entries of each row by one constant so their
 * exponentiated mass equals the mass before the step: only the preference within the sampled
 * subset moves, and unsampled ops keep their share (the ProxylessNAS trick). Betas are untouched.
 */
export function rescaleSampled(space: SearchSpace, before: ArchParams, after: ArchParams, sampled: SampledOps): void {
  const fix = (old: Float64Array, cur: Float64Array, k: number, rows: number[][]) => rows.forEach((ids, r) => {
    let mOld = -Infinity, mNew = -Infinity;
    for (const i of ids) { mOld = Math.max(mOld, old[r * k + i]); mNew = Math.max(mNew, cur[r * k + i]); }
    let sOld = 0, sNew = 0;
    for (const i of ids) { sOld += Math.exp(old[r * k + i] - mOld); sNew += Math.exp(cur[r * k + i] - mNew); }
    const shift = mOld + Math.log(sOld) - (mNew + Math.log(sNew));
    for (const i of ids) cur[r * k + i] += shift;
  });
  const kh = space.primitivesHead.length, ks = space.primitivesStack.length;
  after.head.forEach((m, b) => fix(before.head[b], m, kh, sampled.head[b]));
  after.stack.forEach((m, b) => fix(before.stack[b], m, ks, sampled.stack[b]));
}

/**
 * An architecture drawn from the distribution the parameters define (temperature 1, as
 * derivation reads them): from node 0 each next node by the softmax of the current node's betas,
 * then the head op of each edge taken and the op of every stack layer of the blocks passed.
 * 'uniform': every draw uniform instead (a uniform walk through the nodes, a uniform op a row).
 */
export function sampleChoice(space: SearchSpace, params: ArchParams, rng: Random, policy: 'prob' | 'uniform' = 'prob'): Choice {
  const kh = space.primitivesHead.length, ks = space.primitivesStack.length;
  const draw = (row: Float64Array) => sampleRow(row, 1, policy, rng)[0];
  const path = [0];
  while (path[path.length - 1] !== space.numNodes - 1) {
    const m = path[path.length - 1];
    path.push(space.succ[m][draw(params.betas[m])]);
  }
  const blocks = path.slice(1, -1);
  return {
    path,
    head: blocks.map((s, i) => {
      const r = space.pred[s].indexOf(path[i]);
      return draw(params.head[s - 1].subarray(r * kh, (r + 1) * kh));
    }),
    stack: blocks.map((s) => Array.from({ length: space.numLayers[s] }, (_, l) => draw(params.stack[s - 1].subarray(l * ks, (l + 1) * ks)))),
  };
}

/** Adds scale * d log p(c) / d params into `grad`: one-hot minus softmax on every row the choice drew from. */
export function addChoiceLogProbGradient(space: SearchSpace, params: ArchParams, c: Choice, scale: number, grad: ArchParams): void {
  const add = (x: Float64Array, g: Float64Array, picked: number) => {
    const p = softmaxArray(x, 1);
    for (let i = 0; i < x.length; i++) g[i] += scale * ((i === picked ? 1 : 0) - p[i]);
  };
  for (let i = 0; i + 1 < c.path.length; i++) {
    const m = c.path[i];
    add(params.betas[m], grad.betas[m], space.succ[m].indexOf(c.path[i + 1]));
  }
  for (const row of choiceOpRows(space, c)) add(rowLogits(space, params, row), rowLogits(space, grad, row), row.op);
}
