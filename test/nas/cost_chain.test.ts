// The chained expected cost (spec 3.4): its value against a brute-force expectation over every
// path, its gradient against central finite differences in float64, and the cost loss forms.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mapArchParams, softmaxArray, type ArchParams } from '../../nas/arch_params.js';
import { loadConfig } from '../../nas/config.js';
import { chainedCost, type ResolvedCosts, type SampledOps } from '../../nas/cost_chain.js';
import { costLoss } from '../../nas/cost_loss.js';
import { buildSpace, type SearchSpace } from '../../nas/space.js';
import { MBV2_CFG, RES_CFG } from './paths.js';

let seed = 12345;
const rnd = () => { seed = (seed * 16807) % 2147483647; return seed / 2147483647; };

function randomCosts(sp: SearchSpace): ResolvedCosts {
  const blocks = Array.from({ length: sp.numNodes - 2 }, (_, b) => b + 1);
  return {
    stem: rnd() * 3, classifier: rnd(),
    head: blocks.map((s) => sp.pred[s].map(() => sp.primitivesHead.map(() => rnd() * 5))),
    stack: blocks.map((s) => Array.from({ length: sp.numLayers[s] }, () => sp.primitivesStack.map(() => rnd() * 5))),
    last: sp.pred[sp.numNodes - 1].map(() => rnd()),
  };
}
const randomParams = (sp: SearchSpace): ArchParams => mapArchParams(sp, (_k, _i, n) => Float64Array.from({ length: n }, () => rnd() * 4 - 2));

/** A random sorted subset of 1..k indices of 0..k-1 for every row. */
function randomSubsets(sp: SearchSpace, size: number): SampledOps {
  const pick = (k: number) => Array.from({ length: k }, (_, i) => i).sort(() => rnd() - 0.5).slice(0, Math.min(size, k)).sort((a, b) => a - b);
  const blocks = Array.from({ length: sp.numNodes - 2 }, (_, b) => b + 1);
  return {
    head: blocks.map((s) => sp.pred[s].map(() => pick(sp.primitivesHead.length))),
    stack: blocks.map((s) => Array.from({ length: sp.numLayers[s] }, () => pick(sp.primitivesStack.length))),
  };
}

/** Brute force: sum over every path 0 -> N-1 of P(path) * (its per-node expected costs). */
function bruteForce(sp: SearchSpace, c: ResolvedCosts, p: ArchParams, T: number, sub?: SampledOps): number {
  const kh = sp.primitivesHead.length, ks = sp.primitivesStack.length, n = sp.numNodes;
  const expect = (alpha: Float64Array, off: number, costs: number[], ids?: number[]) => {
    const idx = ids ?? costs.map((_, k) => k);
    const logits = idx.map((k) => alpha[off + k] / T), z = logits.reduce((a, x) => a + Math.exp(x), 0);
    return idx.reduce((a, k, j) => a + (Math.exp(logits[j]) / z) * costs[k], 0);
  };
  const stackCost = (s: number) => c.stack[s - 1].reduce((a, row, l) => a + expect(p.stack[s - 1], l * ks, row, sub?.stack[s - 1][l]), 0);
  let total = 0;
  const walk = (s: number, prob: number, acc: number) => {
    if (s === n - 1) { total += prob * acc; return; }
    const ps = softmaxArray(p.betas[s], T);
    sp.succ[s].forEach((t, j) => {
      const r = sp.pred[t].indexOf(s);
      const h = t === n - 1 ? c.last[r] : expect(p.head[t - 1], r * kh, c.head[t - 1][r], sub?.head[t - 1][r]);
      walk(t, prob * ps[j], acc + h + (t === n - 1 ? 0 : stackCost(t)));
    });
  };
  walk(0, 1, c.stem);
  return total + c.classifier;
}

test('value equals the expectation over every path (resnet space, all ops; mbv2, sampled pairs)', () => {
  const res = buildSpace(loadConfig([RES_CFG], ['search_params.net_scale.num_layers=[0,0,0,0,2,2,2,2,1,1,1,1,1,1,1,1,1,1,1,1,1]', 'search_params.adjoin_connect_nums=[3,3,3,3,3,3,3]']));
  const c1 = randomCosts(res), p1 = randomParams(res);
  assert.ok(Math.abs(chainedCost(res, c1, p1, { temperature: 0.9 }).cost - bruteForce(res, c1, p1, 0.9)) < 1e-9);
  const mb = buildSpace(loadConfig([MBV2_CFG]));
  const c2 = randomCosts(mb), p2 = randomParams(mb), sub = randomSubsets(mb, 2);
  const got = chainedCost(mb, c2, p2, { temperature: 1.3, sampled: sub, expectOver: 'sampled' }).cost;
  assert.ok(Math.abs(got - bruteForce(mb, c2, p2, 1.3, sub)) < 1e-9, `${got}`);
  // 'all' ignores the subsets
  assert.ok(Math.abs(chainedCost(mb, c2, p2, { temperature: 1.3, sampled: sub, expectOver: 'all' }).cost - bruteForce(mb, c2, p2, 1.3)) < 1e-9);
});

function checkGradient(sp: SearchSpace, T: number, sub: SampledOps | undefined) {
  const costs = randomCosts(sp), params = randomParams(sp);
  const opts = { temperature: T, sampled: sub, expectOver: 'sampled' as const };
  const { grad } = chainedCost(sp, costs, params, opts);
  const h = 1e-6;
  let checked = 0, nonzero = 0;
  for (const kind of ['betas', 'head', 'stack'] as const) {
    params[kind].forEach((vec, i) => {
      for (let j = 0; j < vec.length; j++) {
        const x = vec[j];
        vec[j] = x + h; const up = chainedCost(sp, costs, params, opts).cost;
        vec[j] = x - h; const down = chainedCost(sp, costs, params, opts).cost;
        vec[j] = x;
        const fd = (up - down) / (2 * h), g = grad[kind][i][j];
        assert.ok(Math.abs(fd - g) < 1e-6 * Math.max(1, Math.abs(fd)), `${kind}[${i}][${j}]: analytic ${g}, finite difference ${fd}`);
        checked++;
        if (Math.abs(g) > 1e-9) nonzero++;
      }
    });
  }
  return { checked, nonzero };
}

test('gradient matches finite differences: mbv2, full softmax, temperature 0.7', () => {
  const sp = buildSpace(loadConfig([MBV2_CFG]));
  const r = checkGradient(sp, 0.7, undefined);
  assert.is(r.checked, 633);
  assert.ok(r.nonzero > 600, `${r.nonzero} nonzero`);
});

test('gradient matches finite differences: mbv2, sampled pairs (unsampled alphas get 0)', () => {
  const sp = buildSpace(loadConfig([MBV2_CFG]));
  const sub = randomSubsets(sp, 2);
  checkGradient(sp, 1, sub);
});

test('gradient matches finite differences: resnet, temperature 0.9', () => {
  checkGradient(buildSpace(loadConfig([RES_CFG])), 0.9, undefined);
});

test('cost loss: value and dLoss/dC for every form', () => {
  const base = { subLossFactor: 0.15, logBase: 15 };
  const lam = 0.15 / Math.log(15);
  assert.ok(Math.abs(costLoss(20, base).value - 0.15 * Math.log(20) / Math.log(15)) < 1e-12);
  const forms = [base, { ...base, target: 18, targetForm: 'upper' as const }, { ...base, target: 18, targetForm: 'two_sided' as const }];
  for (const o of forms) {
    for (const C of [5, 17, 19, 40]) {
      const h = 1e-6, fd = (costLoss(C + h, o).value - costLoss(C - h, o).value) / (2 * h);
      assert.ok(Math.abs(costLoss(C, o).dC - fd) < 1e-7, `${JSON.stringify(o)} C=${C}`);
    }
  }
  assert.equal(costLoss(15, forms[1]), { value: 0, dC: 0 });
  assert.ok(Math.abs(costLoss(36, forms[1]).value - lam * Math.log(2)) < 1e-12);
  assert.ok(Math.abs(costLoss(9, forms[2]).value - lam * Math.log(2)) < 1e-12);
  assert.throws(() => costLoss(0, base), /positive/);
});

test.run();
