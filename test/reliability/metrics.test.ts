// Accuracy never rewards a broken model: a row with a NaN or infinite logit counts as wrong
// (NaN compares false, so a naive count puts every label on top). Checked against a float64
// reference of top-k on random logits with specials sprinkled in.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Random } from '../../engine/random.js';
import { topk } from '../../nas/metrics.js';

/** Reference: a row counts when all its logits are finite and fewer than k others rank above the label. */
function topkRef(logits: Float32Array, labels: Int32Array, classes: number, k: number): number {
  let right = 0;
  for (let i = 0; i < labels.length; i++) {
    const row = Array.from(logits.subarray(i * classes, (i + 1) * classes));
    if (row.some((v) => !Number.isFinite(v))) continue;
    const order = row.map((v, c) => [v, c]).sort((a, b) => b[0] - a[0] || a[1] - b[1]).map(([, c]) => c);
    if (order.indexOf(labels[i]) < k) right++;
  }
  return right;
}

test('rows with NaN or infinite logits count as wrong; finite rows as a sorted reference', () => {
  const rng = new Random(5);
  for (const [n, classes] of [[37, 10], [64, 7], [5, 3]]) {
    const logits = Float32Array.from({ length: n * classes }, () => rng.normal());
    const labels = Int32Array.from({ length: n }, () => Math.floor(rng.uniform() * classes));
    for (let i = 0; i < n; i += 3) logits[i * classes + Math.floor(rng.uniform() * classes)] = [NaN, Infinity, -Infinity][i % 3];
    const got = topk(logits, labels, classes);
    assert.is(got.top1, topkRef(logits, labels, classes, 1), `top-1 of ${n}x${classes}`);
    assert.is(got.top5, topkRef(logits, labels, classes, 5), `top-5 of ${n}x${classes}`);
  }
});

test('an all-NaN model scores 0%, not 100%', () => {
  const logits = new Float32Array(50).fill(NaN), labels = Int32Array.from({ length: 5 }, (_, i) => i);
  assert.equal(topk(logits, labels, 10), { top1: 0, top5: 0 });
});

test.run();
