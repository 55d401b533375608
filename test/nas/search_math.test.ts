// The CPU side of a search step: op sampling per phase, the rescaling after an architecture
// step, whole architectures drawn from the distribution and their log-probability's gradient,
// the mixing-weight vector and its backward, and the architecture Adam.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Random } from '../../engine/random.js';
import { mapArchParams, softmaxArray, type ArchParams } from '../../nas/arch_params.js';
import { ArchAdam } from '../../nas/arch_adam.js';
import { loadConfig } from '../../nas/config.js';
import { mixLayout, mixWeights, mixWeightsBackward } from '../../nas/mix_weights.js';
import { addChoiceLogProbGradient, rescaleSampled, sampleChoice, sampleOps, sampleRow } from '../../nas/sampling.js';
import type { Choice } from '../../nas/derive.js';
import { choiceOpEntropyShare } from '../../nas/entropy.js';
import { buildSpace } from '../../nas/space.js';
import { MBV2_CFG, RES_CFG } from './paths.js';

const mbv2 = buildSpace(loadConfig([MBV2_CFG]));
const res = buildSpace(loadConfig([RES_CFG]));
const rng = new Random(5);
const randomParams = (scale = 1): ArchParams => mapArchParams(mbv2, (_k, _i, n) => Float64Array.from({ length: n }, () => rng.normal() * scale));

test('prob sampling of 2 of 6 without replacement matches the exact inclusion probabilities', () => {
  const row = [0.5, -1, 2, 0, 1, -0.5], p = softmaxArray(row, 1);
  // P(i in a draw of 2) = p_i + sum_{j != i} p_j p_i / (1 - p_j)
  const exact = Array.from(p, (pi, i) => pi + Array.from(p).reduce((a, pj, j) => (j === i ? a : a + (pj * pi) / (1 - pj)), 0));
  const counts = new Array(6).fill(0), draws = 40000;
  for (let t = 0; t < draws; t++) {
    const ids = sampleRow(row, 2, 'prob', rng);
    assert.is(ids.length, 2);
    assert.ok(ids[0] < ids[1], 'sorted and distinct');
    for (const i of ids) counts[i]++;
  }
  counts.forEach((c, i) => assert.ok(Math.abs(c / draws - exact[i]) < 0.012, `op ${i}: ${c / draws} vs ${exact[i]}`));
});

test('uniform sampling ignores the logits; asking for all (or more) takes every op', () => {
  const counts = new Array(7).fill(0);
  for (let t = 0; t < 21000; t++) counts[sampleRow([9, 0, 0, 0, 0, 0, -9], 1, 'uniform', rng)[0]]++;
  counts.forEach((c) => assert.ok(Math.abs(c / 21000 - 1 / 7) < 0.012));
  assert.equal(sampleRow([1, 2, 3], 5, 'prob', rng), [0, 1, 2]);
  assert.equal(sampleRow([1, 2, 3], 1, 'all', rng), [0, 1, 2]);
});

test('sampling counts per phase: weight steps 1 op a row, arch steps 2, validation all', () => {
  const params = randomParams();
  const count = (s: ReturnType<typeof sampleOps>) => [...s.head.flat(), ...s.stack.flat()].map((ids) => ids.length);
  assert.ok(count(sampleOps(mbv2, params, 1, 'uniform', rng)).every((n) => n === 1));
  assert.ok(count(sampleOps(mbv2, params, 2, 'prob', rng)).every((n) => n === 2));
  const all = sampleOps(mbv2, params, 1, 'all', rng);
  assert.ok(all.head.flat().every((ids) => ids.length === 6) && all.stack.flat().every((ids) => ids.length === 7));
  // ResNet space: 1 head candidate, 2 stack candidates: an arch step is effectively 'all'
  const r = sampleOps(res, mapArchParams(res, (_k, _i, n) => new Float64Array(n)), 2, 'prob', rng);
  assert.is(r.head.flat().length, 84);
  assert.ok(r.head.flat().every((ids) => ids.length === 1) && r.stack.flat().every((ids) => ids.length === 2));
});

test('rescaling keeps the sampled pair\'s exponent mass and the unsampled entries', () => {
  const before = randomParams();
  const sampled = sampleOps(mbv2, before, 2, 'prob', rng);
  const after = mapArchParams(mbv2, (k, i) => before[k][i].map((x) => x + rng.normal() * 0.3));
  const moved = mapArchParams(mbv2, (k, i) => Float64Array.from(after[k][i]));
  rescaleSampled(mbv2, before, after, sampled);
  const k = 6;
  sampled.head.forEach((rows, b) => rows.forEach((ids, r) => {
    const mass = (x: Float64Array) => ids.reduce((a, i) => a + Math.exp(x[r * k + i]), 0);
    assert.ok(Math.abs(mass(after.head[b]) - mass(before.head[b])) < 1e-9 * mass(before.head[b]), `block ${b} row ${r}`);
    // the preference within the pair is the stepped one
    const [i, j] = ids;
    assert.ok(Math.abs((after.head[b][r * k + i] - after.head[b][r * k + j]) - (moved.head[b][r * k + i] - moved.head[b][r * k + j])) < 1e-12);
    for (let o = 0; o < k; o++) if (!ids.includes(o)) assert.is(after.head[b][r * k + o], moved.head[b][r * k + o]);
  }));
  assert.equal(after.betas, moved.betas);
});

for (const doubleSoftmax of [false, true]) {
  test(`mixing weights: layout, values and gradient against finite differences (double softmax ${doubleSoftmax})`, () => {
    const params = randomParams(), o = { temperature: 0.9, doubleSoftmax };
    const sampled = sampleOps(mbv2, params, 2, 'prob', rng);
    const layout = mixLayout(mbv2, sampled);
    assert.is(layout.size, 51 + 51 * 2 + 39 * 2 + 3);
    const w = mixWeights(mbv2, params, sampled, layout, o);
    // edge weights leaving node 1 (to 2, 3, 4) sum to 1; op weights of a row sum to 1
    const out1 = [2, 3, 4].reduce((a, s) => a + w[layout.edges[s] + mbv2.pred[s].indexOf(1)], 0);
    assert.ok(Math.abs(out1 - 1) < 1e-12);
    assert.ok(Math.abs(w[layout.head[5][1]] + w[layout.head[5][1] + 1] - 1) < 1e-12);
    const dw = Float64Array.from({ length: layout.size }, () => rng.normal());
    const grad = mixWeightsBackward(mbv2, params, sampled, layout, o, dw);
    const f = () => mixWeights(mbv2, params, sampled, layout, o).reduce((a, x, i) => a + x * dw[i], 0);
    for (const kind of ['betas', 'head', 'stack'] as const) {
      for (const i of [0, 3, 7, params[kind].length - 1]) {
        const x = params[kind][i];
        for (let j = 0; j < x.length; j += 3) {
          const v = x[j];
          x[j] = v + 1e-6; const fp = f();
          x[j] = v - 1e-6; const fm = f();
          x[j] = v;
          const num = (fp - fm) / 2e-6;
          assert.ok(Math.abs(num - grad[kind][i][j]) < 1e-7 + 1e-6 * Math.abs(num), `${kind}[${i}][${j}]: ${grad[kind][i][j]} vs ${num}`);
        }
      }
    }
  });
}

/** log p(c) written out: a product of softmax entries (logits minus log-sum-exp) along the path, its head ops and stack layers. */
function logProb(space: typeof mbv2, p: ArchParams, c: Choice): number {
  const logSm = (x: ArrayLike<number>, i: number) => { let z = 0; for (let j = 0; j < x.length; j++) z += Math.exp(x[j]); return x[i] - Math.log(z); };
  const kh = space.primitivesHead.length, ks = space.primitivesStack.length;
  let lp = 0;
  for (let i = 1; i < c.path.length; i++) {
    const m = c.path[i - 1], s = c.path[i];
    lp += logSm(p.betas[m], space.succ[m].indexOf(s));
    if (s === space.numNodes - 1) continue;
    const r = space.pred[s].indexOf(m);
    lp += logSm(p.head[s - 1].slice(r * kh, (r + 1) * kh), c.head[i - 1]);
    c.stack[i - 1].forEach((k, l) => { lp += logSm(p.stack[s - 1].slice(l * ks, (l + 1) * ks), k); });
  }
  return lp;
}

test('sampleChoice draws architectures with the probability the parameters give them', () => {
  const p = randomParams(0.8), r = new Random(17), draws = 30000;
  const counts = new Map<string, { n: number; c: Choice }>();
  for (let t = 0; t < draws; t++) {
    const c = sampleChoice(mbv2, p, r);
    // the path's first two steps and the first head op, so that each key is drawn often enough to count
    const key = JSON.stringify([c.path.slice(0, 3), c.head[0]]);
    counts.set(key, { n: (counts.get(key)?.n ?? 0) + 1, c });
  }
  const kh = mbv2.primitivesHead.length;
  let checked = 0;
  for (const { n, c } of counts.values()) {
    let lp = 0;
    for (let i = 1; i < 3; i++) {
      const m = c.path[i - 1], s = c.path[i], b = softmaxArray(p.betas[m], 1);
      lp += Math.log(b[mbv2.succ[m].indexOf(s)]);
    }
    const s1 = c.path[1], r1 = mbv2.pred[s1].indexOf(0);
    lp += Math.log(softmaxArray(p.head[s1 - 1].slice(r1 * kh, (r1 + 1) * kh), 1)[c.head[0]]);
    const want = Math.exp(lp);
    if (want < 0.01) continue;
    checked++;
    assert.ok(Math.abs(n / draws - want) < 4 * Math.sqrt(want / draws) + 1e-3, `${JSON.stringify([c.path.slice(0, 3), c.head[0]])}: ${n / draws} vs ${want}`);
  }
  assert.ok(checked >= 5, `${checked} frequent choices`);
});

test('addChoiceLogProbGradient equals finite differences of log p(choice)', () => {
  const p = randomParams(1), r = new Random(23);
  for (let t = 0; t < 4; t++) {
    const c = sampleChoice(mbv2, p, r), scale = 0.5 + t;
    const grad = mapArchParams(mbv2, (_k, _i, n) => new Float64Array(n));
    addChoiceLogProbGradient(mbv2, p, c, scale, grad);
    for (const k of ['betas', 'head', 'stack'] as const) p[k].forEach((x, i) => x.forEach((x0, j) => {
      const eps = 1e-5;
      x[j] = x0 + eps; const up = logProb(mbv2, p, c);
      x[j] = x0 - eps; const down = logProb(mbv2, p, c);
      x[j] = x0;
      const num = (scale * (up - down)) / (2 * eps);
      assert.ok(Math.abs(num - grad[k][i][j]) < 1e-7, `${k}[${i}][${j}]: ${grad[k][i][j]} vs ${num}`);
    }));
  }
});

test("choiceOpEntropyShare: 1 for uniform weights, near 0 where the choice's rows are certain whatever the rest, and between by the formula", () => {
  const r = new Random(31), p = randomParams(1), c = sampleChoice(mbv2, p, r);
  const uniform = mapArchParams(mbv2, (_k, _i, n) => new Float64Array(n));
  assert.ok(Math.abs(choiceOpEntropyShare(mbv2, uniform, c) - 1) < 1e-12);
  const kh = mbv2.primitivesHead.length, ks = mbv2.primitivesStack.length, sure = structuredClone(p);
  let ent = 0, most = 0;
  const h = (row: ArrayLike<number>) => { const q = softmaxArray(row, 1); let e = 0; for (const x of q) e -= x * Math.log(x); return e; };
  for (let i = 1; i < c.path.length - 1; i++) {
    const s = c.path[i], row = mbv2.pred[s].indexOf(c.path[i - 1]);
    sure.head[s - 1][row * kh + c.head[i - 1]] = 60;
    ent += h(p.head[s - 1].slice(row * kh, (row + 1) * kh)); most += Math.log(kh);
    c.stack[i - 1].forEach((k, l) => {
      sure.stack[s - 1][l * ks + k] = 60;
      ent += h(p.stack[s - 1].slice(l * ks, (l + 1) * ks)); most += Math.log(ks);
    });
  }
  assert.ok(choiceOpEntropyShare(mbv2, sure, c) < 1e-12, 'certain rows');
  assert.ok(Math.abs(choiceOpEntropyShare(mbv2, p, c) - ent / most) < 1e-12);
});

test('architecture Adam: with a constant gradient and no decay every step moves lr against its sign', () => {
  const params = randomParams(), start = mapArchParams(mbv2, (k, i) => Float64Array.from(params[k][i]));
  const grad = mapArchParams(mbv2, (_k, _i, n) => Float64Array.from({ length: n }, () => rng.normal()));
  const adam = new ArchAdam(mbv2, { alphaLr: 3e-4, betaLr: 1e-3, beta1: 0.5, beta2: 0.999, eps: 1e-12, weightDecay: 0 });
  for (let t = 0; t < 3; t++) adam.update(params, grad);
  for (const kind of ['betas', 'head', 'stack'] as const) {
    const lr = kind === 'betas' ? 1e-3 : 3e-4;
    params[kind].forEach((x, i) => x.forEach((v, j) => {
      assert.ok(Math.abs(v - (start[kind][i][j] - 3 * lr * Math.sign(grad[kind][i][j]))) < 1e-9, `${kind}[${i}][${j}]`);
    }));
  }
});

test('architecture Adam: coupled weight decay acts like a gradient of wd * x', () => {
  const p1 = randomParams(), p2 = mapArchParams(mbv2, (k, i) => Float64Array.from(p1[k][i]));
  const zero = mapArchParams(mbv2, (_k, _i, n) => new Float64Array(n));
  const opts = { alphaLr: 3e-4, betaLr: 3e-4, beta1: 0.5, beta2: 0.999, eps: 1e-8, weightDecay: 1e-3 };
  new ArchAdam(mbv2, opts).update(p1, zero);
  new ArchAdam(mbv2, { ...opts, weightDecay: 0 }).update(p2, mapArchParams(mbv2, (k, i) => p2[k][i].map((x) => 1e-3 * x)));
  assert.equal(p1, p2);
});

test.run();
