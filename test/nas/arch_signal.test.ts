// The statistics of `densenas signal` against a one-pass float64 reference (sums of squares, a
// sort for medians) on random gradients with a known signal in some logits, and the total's
// parts: an arch step descends the fit plus the cost term.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Random } from '../../engine/random.js';
import { gradientStats, opLogits, reachedLogits, summarizeSignal } from '../../nas/arch_signal.js';

function reference(grads: Float64Array[]) {
  const n = grads.length, k = grads[0].length, snr: number[] = [], need: number[] = [];
  let sig = 0, meanAbs = 0, sdSum = 0;
  for (let j = 0; j < k; j++) {
    let s = 0, s2 = 0;
    for (const g of grads) { s += g[j]; s2 += g[j] * g[j]; }
    const m = s / n, sd = Math.sqrt(Math.max(0, (s2 - n * m * m) / (n - 1))), se = sd / Math.sqrt(n);
    if (Math.abs(m / se) > 2) sig++;
    snr.push(Math.abs(m) / sd);
    need.push(4 * (sd / m) ** 2);
    meanAbs += Math.abs(m); sdSum += sd;
  }
  const med = (v: number[]) => { const s = v.slice().sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
  return { significant: sig / k, snr_median: med(snr), batches_to_decide_median: med(need), mean_abs: meanAbs / k, sd: sdSum / k };
}

test('gradientStats against the reference; a planted signal is found, pure noise is not', () => {
  const rng = new Random(12);
  for (const [n, k] of [[25, 190], [8, 87], [3, 5], [40, 12]]) {
    const signal = Float64Array.from({ length: k }, (_, j) => (j % 3 === 0 ? 2e-4 : 0));
    const grads = Array.from({ length: n }, () => signal.map((m) => m + 1e-4 * rng.normal()));
    const got = gradientStats(grads), want = reference(grads);
    for (const key of Object.keys(want) as (keyof typeof want)[]) {
      assert.ok(Math.abs(got[key] - want[key]) <= 1e-9 * Math.abs(want[key]) + 1e-15, `n ${n} k ${k} ${key}: ${got[key]} vs ${want[key]}`);
    }
    if (n >= 8) assert.ok(got.significant > 0.3 && got.significant < 0.45, `n ${n}: a third of the logits carry a signal, found ${got.significant}`);
  }
  const noise = Array.from({ length: 30 }, () => Float64Array.from({ length: 2000 }, () => rng.normal()));
  const s = gradientStats(noise).significant;
  assert.ok(s > 0.03 && s < 0.08, `pure noise: ${s} beyond 2 standard errors (about 0.05 for a t distribution of 29 degrees)`);
  assert.throws(() => gradientStats([new Float64Array(3)]), /at least 2 batches/);
});

test('summarizeSignal: the total is the fit plus the cost term, batch by batch', () => {
  const rng = new Random(3), n = 10, k = 30;
  const fit = Array.from({ length: n }, () => Float64Array.from({ length: k }, () => rng.normal()));
  const cost = Array.from({ length: n }, () => Float64Array.from({ length: k }, () => 0.5 + 0.1 * rng.normal()));
  const s = summarizeSignal(fit, cost);
  const close = (got: Record<string, number>, want: Record<string, number>, what: string) => {
    for (const key of Object.keys(want)) assert.ok(Math.abs(got[key] - want[key]) <= 1e-9 * Math.abs(want[key]), `${what} ${key}: ${got[key]} vs ${want[key]}`);
  };
  close({ ...s.fit }, reference(fit), 'fit');
  close({ ...s.total }, reference(fit.map((g, b) => Float64Array.from(g, (v, j) => v + cost[b][j]))), 'total');
  let abs = 0;
  for (const g of cost) for (const v of g) abs += Math.abs(v);
  assert.ok(Math.abs(s.cost_term_abs - abs / (n * k)) < 1e-12);
  assert.is(s.batches, n); assert.is(s.logits, k); assert.is(s.logits_total, k);
});

test('logits no batch reaches (rows of architectures never drawn) are left out of the statistics', () => {
  const rng = new Random(5), n = 12;
  const grads = Array.from({ length: n }, () => Float64Array.from({ length: 10 }, (_, j) => (j < 4 ? 0 : rng.normal())));
  grads[3][1] = 0.5;   // reached once
  assert.equal(reachedLogits(grads), [1, 4, 5, 6, 7, 8, 9]);
  const s = summarizeSignal(grads, grads.map(() => new Float64Array(10)));
  assert.equal([s.logits, s.logits_total], [7, 10]);
  assert.ok(Number.isFinite(s.fit.snr_median) && Number.isFinite(s.fit.batches_to_decide_median));
  const ref = reference(grads.map((g) => Float64Array.from([1, 4, 5, 6, 7, 8, 9], (j) => g[j])));
  assert.ok(Math.abs(s.fit.snr_median - ref.snr_median) < 1e-12 && Math.abs(s.fit.sd - ref.sd) < 1e-12);
  assert.throws(() => gradientStats([new Float64Array(3), new Float64Array(3)]), /no op logit has a gradient/);
});

test('opLogits: head rows then stack layers, block by block', () => {
  const p = { betas: [Float64Array.of(9)], head: [Float64Array.of(1, 2), Float64Array.of(3)], stack: [Float64Array.of(4), Float64Array.of()] };
  assert.equal([...opLogits(p)], [1, 2, 3, 4]);
});

test.run();
