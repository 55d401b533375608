// How much of a search's architecture gradient is signal. At a run's last weights and
// architecture parameters, each search-validation batch's gradient of the op logits is taken as
// an arch step sees it (SearchModel.archGradient), without stepping. Across batches each logit's
// gradient has a mean (what the steps add up) and a spread (one batch's noise). An Adam step
// moves a logit by about its rate whatever the gradient's size, so the steps decide only where
// the mean stands out of the noise over the batches a search has: a logit needs about
// (2 sd / |mean|)^2 batches before its drift is twice its random walk.
import { mixSeed, Random } from '../engine/random.js';
import { median } from '../engine/timing.js';
import type { ArchParams } from './arch_params.js';
import type { Loader } from './data/loader.js';
import type { SearchModel } from './search_step.js';

/** How one batch's gradient of each op logit varies across batches. */
export interface GradientStats {
  /** Share of op logits whose mean gradient is beyond 2 standard errors of zero (about 4.6% where all is noise). */
  significant: number;
  /** Median over op logits of |mean| / sd of one batch's gradient. */
  snr_median: number;
  /** Median over op logits of the batches their drift needs to be twice their random walk, (2 sd / |mean|)^2. */
  batches_to_decide_median: number;
  /** Mean over op logits of |mean gradient| and of its sd across batches. */
  mean_abs: number;
  sd: number;
}

export interface ArchSignal {
  batches: number;
  /** Op logits of the space: every head row's and stack layer's. */
  logits_total: number;
  /** Those with a gradient in some batch, which the statistics are over ('paths' steps reach only the rows of the architectures they draw). */
  logits: number;
  /** The supernet's part of the gradient (cross-entropy through the mixing weights). */
  fit: GradientStats;
  /** What an arch step descends: the fit plus the cost term. */
  total: GradientStats;
  /** Mean over op logits and batches of |cost term gradient|. */
  cost_term_abs: number;
}

/** The op logits of architecture parameters, head rows then stack layers, as one vector. */
export function opLogits(p: ArchParams): Float64Array {
  const parts = [...p.head, ...p.stack], out = new Float64Array(parts.reduce((n, x) => n + x.length, 0));
  let at = 0;
  for (const x of parts) { out.set(x, at); at += x.length; }
  return out;
}

/** The logits whose gradient is not zero in every batch. */
export function reachedLogits(grads: Float64Array[]): number[] {
  const k = grads[0]?.length ?? 0;
  return Array.from({ length: k }, (_, j) => j).filter((j) => grads.some((g) => g[j] !== 0));
}

/** GradientStats of per-batch gradient vectors (one a batch, at least two) over the logits `of`. */
export function gradientStats(grads: Float64Array[], of = reachedLogits(grads)): GradientStats {
  const n = grads.length, k = of.length;
  if (n < 2) throw new Error(`the gradient's spread needs at least 2 batches, got ${n}`);
  if (k === 0) throw new Error('no op logit has a gradient in any batch');
  const snr: number[] = [], need: number[] = [];
  let significant = 0, meanAbs = 0, sdSum = 0;
  for (const j of of) {
    let m = 0;
    for (const g of grads) m += g[j];
    m /= n;
    let ss = 0;
    for (const g of grads) ss += (g[j] - m) ** 2;
    const sd = Math.sqrt(ss / (n - 1));
    if (Math.abs(m) > (2 * sd) / Math.sqrt(n)) significant++;
    snr.push(sd > 0 ? Math.abs(m) / sd : Infinity);
    need.push(m !== 0 ? ((2 * sd) / Math.abs(m)) ** 2 : Infinity);
    meanAbs += Math.abs(m); sdSum += sd;
  }
  return { significant: significant / k, snr_median: median(snr), batches_to_decide_median: median(need), mean_abs: meanAbs / k, sd: sdSum / k };
}

/** ArchSignal from per-batch gradients of the fit and of the cost term (one vector a batch each). */
export function summarizeSignal(fit: Float64Array[], costTerm: Float64Array[]): ArchSignal {
  const total = fit.map((g, b) => g.map((v, j) => v + costTerm[b][j]));
  const of = reachedLogits(total);
  let costAbs = 0;
  for (const g of costTerm) for (const j of of) costAbs += Math.abs(g[j]);
  return {
    batches: fit.length, logits_total: fit[0]?.length ?? 0, logits: of.length,
    fit: gradientStats(fit, of), total: gradientStats(total, of), cost_term_abs: costAbs / Math.max(1, costTerm.length * of.length),
  };
}

/** The gradient of every batch of `val` at the model's weights and parameters, summarised; nothing is updated. */
export async function measureArchSignal(model: SearchModel, val: Loader, seed: number, onBatch?: (i: number) => void): Promise<ArchSignal> {
  const fit: Float64Array[] = [], costTerm: Float64Array[] = [];
  for await (const b of val.epoch(0, 0)) {
    const g = await model.archGradient(b, new Random(mixSeed(seed, fit.length)));
    fit.push(opLogits(g.fit));
    costTerm.push(opLogits(g.costTerm));
    onBatch?.(fit.length);
  }
  return summarizeSignal(fit, costTerm);
}
