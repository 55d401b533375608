// Kendall's tau-b, which measures how well a supernet ranks architectures: against the tie
// formula counted independently (n0 - n1 and n0 - n2 from tie groups) on random data with ties,
// SciPy's documented example, and the extremes; the mean and sample spread that results report.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Random } from '../../engine/random.js';
import { kendallTau, mean, std } from '../../nas/metrics.js';

/** tau-b = (nc - nd) / sqrt((n0 - n1)(n0 - n2)), ties counted per group of equal values. */
function reference(a: number[], b: number[]): number {
  const n = a.length, n0 = (n * (n - 1)) / 2;
  const tiePairs = (v: number[]) => [...v.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<number, number>()).values()].reduce((s, t) => s + (t * (t - 1)) / 2, 0);
  let nc = 0, nd = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) {
    const p = (a[i] - a[j]) * (b[i] - b[j]);
    if (p > 0) nc++; else if (p < 0) nd++;
  }
  return (nc - nd) / Math.sqrt((n0 - tiePairs(a)) * (n0 - tiePairs(b)));
}

test('kendallTau equals the tie-group formula on random data with ties', () => {
  const rng = new Random(4);
  for (const n of [2, 3, 7, 18, 40]) {
    const a = Array.from({ length: n }, () => rng.int(5)), b = a.map((x) => x + rng.int(4));
    if (new Set(a).size < 2 || new Set(b).size < 2) continue;
    assert.ok(Math.abs(kendallTau(a, b) - reference(a, b)) < 1e-12, `n ${n}`);
  }
});

test("kendallTau: SciPy's example, the extremes, and mismatched lengths", () => {
  assert.ok(Math.abs(kendallTau([12, 2, 1, 12, 2], [1, 4, 7, 1, 0]) - -0.47140452079103173) < 1e-12);
  assert.is(kendallTau([1, 2, 3, 4], [10, 20, 30, 40]), 1);
  assert.is(kendallTau([1, 2, 3, 4], [4, 3, 2, 1]), -1);
  assert.ok(Number.isNaN(kendallTau([1, 1, 1], [1, 2, 3])));
  assert.throws(() => kendallTau([1, 2], [1]), /2 and 1 values/);
});

test('mean and sample standard deviation against a two-pass float64 sum of random values', () => {
  const rng = new Random(9);
  for (const n of [1, 2, 5, 33]) {
    const v = Array.from({ length: n }, () => 80 + 4 * rng.normal());
    let s = 0;
    for (const x of v) s += x;
    const m = s / n;
    let ss = 0;
    for (const x of v) ss += (x - m) * (x - m);
    assert.ok(Math.abs(mean(v) - m) < 1e-12, `mean, n ${n}`);
    assert.ok(Math.abs(std(v) - (n > 1 ? Math.sqrt(ss / (n - 1)) : 0)) < 1e-12, `std, n ${n}`);
  }
  assert.ok(Math.abs(std([2, 4, 4, 4, 5, 5, 7, 9]) - Math.sqrt(32 / 7)) < 1e-12);
});

test.run();
