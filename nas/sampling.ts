// Op sampling per step (spec 2.2) and the rescaling after an architecture step (spec 2.5).
import type { Random } from '../engine/random.js';
import { argmax } from './derive.js';
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
