// The architecture tape (nas/tape.ts): every operation's gradient, and gradients through shared
// nodes, against central finite differences of the same function computed on plain numbers.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Random } from '../../engine/random.js';
import { Tape, type Var } from '../../nas/tape.js';

const rng = new Random(11);

/** Checks d f / d x of a tape function against central differences of its plain-number twin. */
function checkGradient(
  name: string, x: number[], onTape: (t: Tape, x: Var[]) => Var, plain: (x: number[]) => number,
) {
  const t = new Tape(), leaves = x.map((v) => t.leaf(v)), out = onTape(t, leaves);
  const want = plain(x);
  assert.ok(Math.abs(out.value - want) < 1e-12 * Math.max(1, Math.abs(want)), `${name}: value ${out.value} vs ${want}`);
  t.backward(out);
  const h = 1e-6;
  x.forEach((v, i) => {
    const at = (d: number) => plain(x.map((y, j) => (j === i ? v + d : y)));
    const fd = (at(h) - at(-h)) / (2 * h), g = leaves[i].grad;
    assert.ok(Math.abs(fd - g) < 1e-7 * Math.max(1, Math.abs(fd)), `${name}: d/dx${i} tape ${g}, difference ${fd}`);
  });
}

const randoms = (n: number, scale = 1) => Array.from({ length: n }, () => rng.normal() * scale);

test('each operation: add, sub, mul, div, exp, log, abs, relu, with constants on either side', () => {
  for (let trial = 0; trial < 5; trial++) {
    const [a, b] = randoms(2), p = [Math.abs(a) + 0.5, Math.abs(b) + 0.5];
    checkGradient('add', [a, b], (t, [x, y]) => t.add(t.add(x, y), 2), ([x, y]) => x + y + 2);
    checkGradient('sub', [a, b], (t, [x, y]) => t.sub(3, t.sub(x, y)), ([x, y]) => 3 - (x - y));
    checkGradient('mul', [a, b], (t, [x, y]) => t.mul(t.mul(x, y), -1.5), ([x, y]) => x * y * -1.5);
    checkGradient('div', p, (t, [x, y]) => t.div(t.div(x, y), t.add(y, 1)), ([x, y]) => x / y / (y + 1));
    checkGradient('exp', [a], (t, [x]) => t.exp(t.mul(x, 0.7)), ([x]) => Math.exp(0.7 * x));
    checkGradient('log', p, (t, [x, y]) => t.log(t.mul(x, y)), ([x, y]) => Math.log(x * y));
    checkGradient('abs', [a + 0.01 * Math.sign(a)], (t, [x]) => t.abs(x), ([x]) => Math.abs(x));
    checkGradient('relu', [a + 0.01 * Math.sign(a)], (t, [x]) => t.relu(t.mul(x, 2)), ([x]) => Math.max(0, 2 * x));
  }
});

test('sum, dot and softmax at a temperature, over sizes 1 to 9, with large logits', () => {
  for (const n of [1, 2, 5, 9]) {
    const x = randoms(n, 30), c = randoms(n), T = 0.3 + rng.uniform() * 2;
    const plainSoftmax = (v: number[]) => {
      const m = Math.max(...v), e = v.map((y) => Math.exp((y - m) / T)), s = e.reduce((a, y) => a + y, 0);
      return e.map((y) => y / s);
    };
    checkGradient(`sum ${n}`, x, (t, v) => t.sum([...v, 4]), (v) => v.reduce((a, y) => a + y, 4));
    checkGradient(`dot ${n}`, x, (t, v) => t.dot(v, c), (v) => v.reduce((a, y, i) => a + y * c[i], 0));
    checkGradient(`softmax ${n}`, x, (t, v) => t.dot(t.softmax(v, T), c),
      (v) => plainSoftmax(v).reduce((a, y, i) => a + y * c[i], 0));
  }
  assert.throws(() => new Tape().dot([new Tape().leaf(1)], [1, 2]), /1 values but 2 coefficients/);
});

test('shared nodes accumulate: a chain that reuses intermediates, like the chained cost', () => {
  const x = randoms(6);
  checkGradient('reuse', x, (t, v) => {
    const p = t.softmax(v.slice(0, 3), 1.2);
    const c2 = t.mul(p[2], t.exp(v[3]));
    const c1 = t.add(t.mul(p[1], t.add(v[4], c2)), t.mul(p[0], c2));
    return t.log(t.add(t.mul(c1, c1), t.add(t.mul(v[5], v[5]), 1)));
  }, (v) => {
    const m = Math.max(v[0], v[1], v[2]), e = v.slice(0, 3).map((y) => Math.exp((y - m) / 1.2)), s = e[0] + e[1] + e[2];
    const p = e.map((y) => y / s);
    const c2 = p[2] * Math.exp(v[3]), c1 = p[1] * (v[4] + c2) + p[0] * c2;
    return Math.log(c1 * c1 + v[5] * v[5] + 1);
  });
});

test('backward twice gives the same gradients; nodes after the output get none', () => {
  const t = new Tape(), a = t.leaf(0.4), b = t.leaf(-1.1);
  const y = t.mul(t.exp(a), b);
  const later = t.mul(y, 5);
  t.backward(y);
  const first = [a.grad, b.grad];
  t.backward(y);
  assert.equal([a.grad, b.grad], first);
  assert.ok(Math.abs(first[0] - Math.exp(0.4) * -1.1) < 1e-15 && Math.abs(first[1] - Math.exp(0.4)) < 1e-15);
  assert.is(later.grad, 0);
});

test.run();
