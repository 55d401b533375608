// Accuracy from logits read back to the host, and running means for logging.

/**
 * Counts of labels among the top 1 and top 5 logits of each row (ties resolved by lower index).
 * A row with a NaN or infinite logit counts as wrong: NaN compares false, and would otherwise
 * put the label on top.
 */
export function topk(logits: Float32Array, labels: ArrayLike<number>, classes: number): { top1: number; top5: number } {
  let top1 = 0, top5 = 0;
  for (let i = 0; i < labels.length; i++) {
    const row = logits.subarray(i * classes, (i + 1) * classes), y = labels[i], v = row[y];
    if (!row.every(Number.isFinite)) continue;
    let above = 0;
    for (let c = 0; c < classes; c++) if (row[c] > v || (row[c] === v && c < y)) above++;
    if (above === 0) top1++;
    if (above < 5) top5++;
  }
  return { top1, top5 };
}

/** Sums for a phase's running means; plain data so that a checkpoint can store it. */
export interface Meter { n: number; loss: number; top1: number; top5: number; cost: number; steps: number }

export const isMeter = (m: any): m is Meter => m !== null && typeof m === 'object' &&
  ['n', 'loss', 'top1', 'top5', 'cost', 'steps'].every((k) => typeof m[k] === 'number' && Number.isFinite(m[k])) && m.n >= 0 && m.steps >= 0;

export const newMeter = (): Meter => ({ n: 0, loss: 0, top1: 0, top5: 0, cost: 0, steps: 0 });

export function addToMeter(m: Meter, batch: number, loss: number, acc: { top1: number; top5: number }, cost = 0): void {
  m.n += batch; m.steps++;
  m.loss += loss * batch; m.top1 += acc.top1; m.top5 += acc.top5; m.cost += cost;
}

export function meterMeans(m: Meter): { loss: number; top1: number; top5: number; cost: number } {
  const n = Math.max(m.n, 1);
  return { loss: m.loss / n, top1: (100 * m.top1) / n, top5: (100 * m.top5) / n, cost: m.cost / Math.max(m.steps, 1) };
}

export const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
/** Sample standard deviation (n - 1); 0 for one value. */
export function std(v: number[]): number {
  if (v.length < 2) return 0;
  const m = mean(v);
  return Math.sqrt(v.reduce((a, x) => a + (x - m) ** 2, 0) / (v.length - 1));
}

/**
 * Kendall's rank correlation tau-b of paired values: (concordant - discordant) pairs over the
 * geometric mean of the pairs untied in each; ties in one value count in neither. NaN when one
 * side is constant. O(n^2): it compares tens of architectures.
 */
export function kendallTau(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`kendallTau: ${a.length} and ${b.length} values`);
  let s = 0, untiedA = 0, untiedB = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = i + 1; j < a.length; j++) {
      const da = Math.sign(a[i] - a[j]), db = Math.sign(b[i] - b[j]);
      s += da * db;
      untiedA += da !== 0 ? 1 : 0;
      untiedB += db !== 0 ? 1 : 0;
    }
  }
  return s / Math.sqrt(untiedA * untiedB);
}
