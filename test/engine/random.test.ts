import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mixSeed, Random } from '../../engine/random.js';

test('same seed, same stream; different seeds, different streams', () => {
  const a = new Random(42), b = new Random(42), c = new Random(43);
  const sa = Array.from({ length: 8 }, () => a.nextU32()), sb = Array.from({ length: 8 }, () => b.nextU32()), sc = Array.from({ length: 8 }, () => c.nextU32());
  assert.equal(sa, sb);
  assert.not.equal(sa, sc);
  assert.not.equal(mixSeed(1, 2), mixSeed(2, 1));
});

test('int(n) is in range and roughly uniform; next() in [0, 1)', () => {
  const r = new Random(1), counts = new Array(7).fill(0);
  for (let i = 0; i < 70000; i++) counts[r.int(7)]++;
  for (const k of counts) assert.ok(Math.abs(k - 10000) < 500, `bucket ${k}`);
  let lo = 1, hi = 0, sum = 0;
  for (let i = 0; i < 10000; i++) { const v = r.uniform(); lo = Math.min(lo, v); hi = Math.max(hi, v); sum += v; }
  assert.ok(lo >= 0 && hi < 1 && Math.abs(sum / 10000 - 0.5) < 0.02);
});

test('shuffle is a permutation that depends on the seed', () => {
  const base = Array.from({ length: 50 }, (_, i) => i);
  const s1 = new Random(9).shuffle([...base]), s2 = new Random(10).shuffle([...base]);
  assert.equal([...s1].sort((a, b) => a - b), base);
  assert.not.equal(s1, base);
  assert.not.equal(s1, s2);
});

test.run();
