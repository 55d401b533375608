// The supernet on the engine: it learns, memory follows the sampled network, and the
// architecture gradient that one readback of the mixing-weight vector gives agrees with finite
// differences of the whole GPU forward pass.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { crossEntropy } from '../../engine/ops/loss.js';
import { SGD } from '../../engine/optim/sgd.js';
import { Random } from '../../engine/random.js';
import { noGrad, Tensor, tidy } from '../../engine/tensor.js';
import { mapArchParams, type ArchParams } from '../../nas/arch_params.js';
import { applyOverride, loadConfig } from '../../nas/config.js';
import { chainedCost } from '../../nas/cost_chain.js';
import { costLoss, costLossOptions } from '../../nas/cost_loss.js';
import { resolveCosts, spaceOpDescs } from '../../nas/cost_table.js';
import { opKey } from '../../nas/ops.js';
import { SearchModel } from '../../nas/search_step.js';
import { mixLayout, mixWeights, mixWeightsBackward } from '../../nas/mix_weights.js';
import { addChoiceLogProbGradient, sampleChoice, sampleOps } from '../../nas/sampling.js';
import { choiceCost, deriveArch } from '../../nas/derive.js';
import type { SampledOps } from '../../nas/cost_chain.js';
import { buildSpace } from '../../nas/space.js';
import { Supernet } from '../../nas/supernet.js';
import { randomChoice } from '../../nas/sample.js';
import { assertClose, engine } from '../helpers.js';
import { QUICK_CFG } from './paths.js';

const rt = await engine();
rt.poison = false;   // the supernet's own tensors are checked by the kernel tests
// The quick Fashion-MNIST space at 16x16: 5 searchable blocks, 11 head edges, 3 stack layers.
// Arch steps through the mixture unless a test says otherwise (the 'paths' one does).
const cfg = loadConfig([QUICK_CFG], ['data.input_size=[1,16,16]', 'search_params.net_scale.stem_stride=1', 'search_params.net_scale.fm_sizes=[16,8,8,4,4,4]', 'optim.last_dim=32', 'search_params.arch_gradient=mixture']);
const space = buildSpace(cfg);
const mixOpts = { temperature: 1, doubleSoftmax: false };

/** Class c of 4 lights up quadrant c, under noise. */
function batch(rng: Random, n: number) {
  const s = 16, x = new Float32Array(n * s * s), y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = rng.int(4);
    y[i] = c;
    for (let r = 0; r < s; r++) for (let q = 0; q < s; q++) x[(i * s + r) * s + q] = (((r < s / 2 ? 0 : 2) + (q < s / 2 ? 0 : 1)) === c ? 1 : 0) + 0.3 * rng.normal();
  }
  return { x: Tensor.fromArray(x, [n, s, s, 1]), y };
}

const randomParams = (rng: Random, scale: number): ArchParams => mapArchParams(space, (_k, _i, n) => Float64Array.from({ length: n }, () => scale * rng.normal()));

/**
 * Losses of `steps` SGD steps of a fresh supernet on the quadrant task, each step running the ops
 * `draw` gives: held fixed, or drawn anew each step.
 */
async function trainLosses(seed: number, shareWeights: boolean, steps: number, draw: (rng: Random, p: ArchParams) => SampledOps) {
  const rng = new Random(seed);
  const net = new Supernet(space, { bnEps: 1e-3, bnMomentum: 0.1, shareWeights }, rng);
  const params = randomParams(rng, 1e-3);
  const sgd = new SGD(net.parameters(), { lr: 0.1, momentum: 0.9 });
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const sampled = draw(rng, params), layout = mixLayout(space, sampled);
    const { x, y } = batch(rng, 32);
    const loss = tidy(() => {
      sgd.zeroGrad();
      const w = Tensor.fromArray(mixWeights(space, params, sampled, layout, mixOpts), [layout.size]);
      const l = crossEntropy(net.forward(x, sampled, layout, w), y);
      l.backward();
      sgd.step();
      return l;
    });
    losses.push(await loss.item());
    loss.dispose(); x.dispose();
  }
  net.dispose();
  return losses;
}
const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;

// Every candidate active (the policy of supernet validation), and one sampled path held fixed:
// both learn a separable task fast.
for (const policy of ['all', 'uniform'] as const) {
  test(`a tiny supernet learns: loss falls 5x in 40 steps (${policy === 'all' ? 'every candidate' : 'one sampled path'})`, async () => {
    let fixed: SampledOps | undefined;
    const losses = await trainLosses(1, false, 40, (rng, p) => (fixed ??= sampleOps(space, p, 1, policy, rng)));
    assert.ok(mean(losses.slice(-5)) * 5 < mean(losses.slice(0, 5)), `loss ${mean(losses.slice(0, 5)).toFixed(3)} -> ${mean(losses.slice(-5)).toFixed(3)}`);
  });
}

// A fresh uniform sample every step: with independent weights each op trains only when drawn and
// its channels mean something else than its rivals', so the loss hardly falls in 60 steps; with the
// candidates windowing shared weights (nas/shared_mbconv.ts) it falls as for a fixed path.
test('one uniformly drawn op per step: shared weights learn where independent ones do not', async () => {
  const finalLoss = async (share: boolean) => mean((await trainLosses(2, share, 60, (rng, p) => sampleOps(space, p, 1, 'uniform', rng))).slice(-10));
  const shared = await finalLoss(true), independent = await finalLoss(false);
  assert.ok(shared * 2 < independent, `mean loss of the last 10 steps: shared ${shared.toFixed(3)}, independent ${independent.toFixed(3)}`);
});

// The path alone is the whole supernet with edge weights one-hot on the path and the choice's op
// sampled on each of its edges: the other nodes still run but enter with weight exactly zero.
test('an architecture on the supernet weights (forwardChoice) equals the supernet mixed one-hot on its path', async () => {
  const rng = new Random(7);
  const net = new Supernet(space, { bnEps: 1e-3, bnMomentum: 0.1, shareWeights: true }, rng).eval();
  const { x } = batch(rng, 4);
  for (let trial = 0; trial < 4; trial++) {
    const c = randomChoice(space, rng), n = space.numNodes;
    const sampled: SampledOps = { head: [], stack: [] };
    for (let s = 1; s < n - 1; s++) {
      const i = c.path.indexOf(s);
      sampled.head.push(space.pred[s].map((m) => [i > 0 && c.path[i - 1] === m ? c.head[i - 1] : rng.int(space.primitivesHead.length)]));
      sampled.stack.push(Array.from({ length: space.numLayers[s] }, (_, l) => [i > 0 ? c.stack[i - 1][l] : rng.int(space.primitivesStack.length)]));
    }
    const layout = mixLayout(space, sampled), w = new Float32Array(layout.size);
    for (let s = 1; s < n - 1; s++) for (const at of [...layout.head[s], ...layout.stack[s]]) w[at] = 1;   // one op a row: weight 1
    for (let i = 1; i < c.path.length; i++) {
      const s = c.path[i], r = space.pred[s].indexOf(c.path[i - 1]);
      w[(s === n - 1 ? layout.last : layout.edges[s]) + r] = 1;
    }
    const outs = noGrad(() => tidy(() => [net.forward(x, sampled, layout, Tensor.fromArray(w, [layout.size])), net.forwardChoice(x, c)]));
    const mixed = await outs[0].toArray(), path = await outs[1].toArray();
    outs.forEach((t) => t.dispose());
    let worst = 0;
    for (let i = 0; i < mixed.length; i++) worst = Math.max(worst, Math.abs(mixed[i] - path[i]) / (1 + Math.abs(mixed[i])));
    assert.ok(worst < 1e-5, `path ${c.path.join('-')}: largest difference ${worst}`);
  }
  net.dispose(); x.dispose();
});

test('memory follows the sampled network: one op a row needs far less than all of them', async () => {
  const rng = new Random(2);
  const net = new Supernet(space, { bnEps: 1e-3, bnMomentum: 0.1, shareWeights: false }, rng);
  const params = randomParams(rng, 1e-3);
  const { x, y } = batch(rng, 16);
  const peak = (policy: 'uniform' | 'all') => {
    const sampled = sampleOps(space, params, 1, policy, rng);
    const layout = mixLayout(space, sampled);
    rt.pool.resetPeak();
    const base = rt.pool.memory().liveBytes;
    tidy(() => crossEntropy(net.forward(x, sampled, layout, Tensor.fromArray(mixWeights(space, params, sampled, layout, mixOpts), [layout.size])), y).backward());
    net.parameters().forEach((p) => { p.grad?.dispose(); p.grad = null; });
    return rt.pool.memory().peakBytes - base;
  };
  const one = peak('uniform'), all = peak('all');
  assert.ok(one < 0.5 * all, `peak with one op ${one} B, with all ${all} B`);
  net.dispose(); x.dispose();
});

// Batch norm here uses running statistics: with batch statistics every input moves every
// normalised unit, so finite differences of a float32 network cross ReLU6 kinks at any step
// size that float32 can resolve. Training-mode batch norm has its own float64 gradient checks.
test('architecture gradients through the supernet match finite differences of the GPU loss', async () => {
  const rng = new Random(3);
  const net = new Supernet(space, { bnEps: 1e-3, bnMomentum: 0.1, shareWeights: false }, rng).eval();
  for (const p of net.parameters()) p.requiresGrad = false;   // as in an architecture step
  const params = randomParams(rng, 0.5);
  const sampled = sampleOps(space, params, 2, 'prob', rng);
  const layout = mixLayout(space, sampled);
  const { x, y } = batch(rng, 8);
  const lossAt = (p: ArchParams) => noGrad(() => tidy(() => crossEntropy(net.forward(x, sampled, layout, Tensor.fromArray(mixWeights(space, p, sampled, layout, mixOpts), [layout.size])), y)));
  const W = Tensor.fromArray(mixWeights(space, params, sampled, layout, mixOpts), [layout.size], true);
  tidy(() => crossEntropy(net.forward(x, sampled, layout, W), y).backward());
  const grad = mixWeightsBackward(space, params, sampled, layout, mixOpts, await W.grad!.toArray());
  // Check the entries with the largest gradients of each kind (small ones drown in float32 noise).
  for (const kind of ['betas', 'head', 'stack'] as const) {
    const entries = grad[kind].flatMap((g, i) => Array.from(g, (v, j) => ({ i, j, v }))).sort((a, b) => Math.abs(b.v) - Math.abs(a.v)).slice(0, 3);
    for (const { i, j, v } of entries) {
      const eps = 0.01, x0 = params[kind][i][j];
      params[kind][i][j] = x0 + eps; const lp = lossAt(params);
      params[kind][i][j] = x0 - eps; const lm = lossAt(params);
      params[kind][i][j] = x0;
      const num = ((await lp.item()) - (await lm.item())) / (2 * eps);
      lp.dispose(); lm.dispose();
      assert.ok(Math.abs(num - v) <= 2e-4 + 0.02 * Math.abs(v), `${kind}[${i}][${j}]: backward ${v}, finite differences ${num}`);
    }
  }
  net.dispose(); x.dispose(); W.grad!.dispose(); W.dispose();
});

/** A random latency table of the space (skip free) and a batch of 8, also on the host as the search's loader gives it. */
async function tableAndBatch(rng: Random) {
  const entries: Record<string, number> = {};
  for (const d of spaceOpDescs(space, 8)) entries[opKey(d)] = d.op === 'skip_connect' ? 0 : 0.5 + rng.uniform();
  const { costs } = resolveCosts(space, { format: 'densenas-cost-table/1', kind: 'latency', units: 'ms', device: 'test', batch: 8, entries });
  const b = batch(rng, 8);
  const host = { x: await b.x.toArray() as Float32Array, y: b.y, n: 8, shape: [8, 16, 16, 1] as [number, number, number, number] };
  return { costs, b, host };
}

/** A search model of config c (weights from seed 1) at architecture parameters p. */
function modelAt(c: typeof cfg, costs: Awaited<ReturnType<typeof tableAndBatch>>['costs'], p: ArchParams): SearchModel {
  const m = new SearchModel(c, space, costs, new Random(1));
  for (const k of ['betas', 'head', 'stack'] as const) m.params[k].forEach((a, i) => a.set(p[k][i]));
  return m;
}

test('the architecture step optimises the expected cost at optim.sub_obj.cost_temperature', async () => {
  const rng = new Random(5);
  const { costs, b, host } = await tableAndBatch(rng);
  b.x.dispose();
  for (const T of [1, 0.2]) {
    const c = structuredClone(cfg);
    applyOverride(c, `optim.sub_obj.cost_temperature=${T}`);
    const p = randomParams(new Random(2), 1), m = modelAt(c, costs, p);
    const want = chainedCost(space, costs, p, { temperature: T, expectOver: 'all' }).cost;
    const r = await m.step('arch', host, 'prob', new Random(3));
    assert.ok(Math.abs(r.cost - want) < 1e-9 * want, `T=${T}: step cost ${r.cost}, chained ${want}`);
    if (T !== 1) assert.ok(Math.abs(want - chainedCost(space, costs, p, { temperature: 1, expectOver: 'all' }).cost) > 1e-3, 'the temperature matters');
    m.net.dispose();
  }
});

test('an arch step descends the two parts of archGradient; the cost part is the cost loss\'s derivative', async () => {
  const rng = new Random(6);
  const { costs, b, host } = await tableAndBatch(rng);
  b.x.dispose();
  const c = structuredClone(cfg);
  for (const o of ['optim.arch.weight_decay=0', 'optim.sub_obj.target=3', 'optim.sub_obj.target_form=two_sided']) applyOverride(c, o);
  const p = randomParams(new Random(7), 1);
  const models = [modelAt(c, costs, p), modelAt(c, costs, p)];
  const g = await models[0].archGradient(host, new Random(3));
  await models[1].step('arch', host, 'prob', new Random(3));
  const lossOf = (q: ArchParams) => costLoss(chainedCost(space, costs, q, { temperature: 1, expectOver: 'all' }).cost, costLossOptions(c)).value;
  for (const k of ['betas', 'head', 'stack'] as const) p[k].forEach((x, i) => x.forEach((x0, j) => {
    // Adam's first moment after one step is (1 - beta1) times the gradient it was given
    const want = g.fit[k][i][j] + g.costTerm[k][i][j], m1 = models[1].adam.m[k][i][j] / (1 - c.optim.arch.adam_beta1);
    assert.ok(Math.abs(m1 - want) <= 1e-12 + 1e-9 * Math.abs(want), `${k}[${i}][${j}]: step ${m1}, fit + cost ${want}`);
    const eps = 1e-5;
    p[k][i][j] = x0 + eps; const up = lossOf(p);
    p[k][i][j] = x0 - eps; const down = lossOf(p);
    p[k][i][j] = x0;
    const num = (up - down) / (2 * eps);
    assert.ok(Math.abs(num - g.costTerm[k][i][j]) <= 1e-8 + 1e-5 * Math.abs(num), `${k}[${i}][${j}]: cost term ${g.costTerm[k][i][j]}, finite differences ${num}`);
  }));
  for (const m of models) m.net.dispose();
});

test("a 'paths' arch step: REINFORCE over sampled architectures, each weighed by its own cross-entropy and cost term", async () => {
  const rng = new Random(8);
  const { costs, b, host } = await tableAndBatch(rng);
  const c = structuredClone(cfg);
  for (const o of ['search_params.arch_gradient=paths', 'search_params.arch_paths=3', 'optim.sub_obj.target=3', 'optim.sub_obj.target_form=two_sided']) applyOverride(c, o);
  const p = randomParams(new Random(9), 1), m = modelAt(c, costs, p);
  const g = await m.archGradient(host, new Random(4));
  // the same three architectures, each run alone and priced by the table
  const r4 = new Random(4), choices = [0, 1, 2].map(() => sampleChoice(space, p, r4));
  const ce: number[] = [], cost: number[] = [];
  for (const ch of choices) {
    const loss = noGrad(() => crossEntropy(m.net.forwardChoice(b.x, ch), b.y));
    ce.push(await loss.item());
    cost.push(choiceCost(space, costs, ch));
  }
  const lam = c.optim.sub_obj.sub_loss_factor / Math.log(c.optim.sub_obj.log_base);
  const term = cost.map((C) => lam * Math.abs(Math.log(C / 3)));
  const want = (losses: number[]) => {
    const out = mapArchParams(space, (_k, _i, n) => new Float64Array(n));
    choices.forEach((ch, k) => {
      const others = losses.filter((_, j) => j !== k);
      addChoiceLogProbGradient(space, p, ch, (losses[k] - (others[0] + others[1]) / 2) / 3, out);
    });
    return out;
  };
  const [fit, costTerm] = [want(ce), want(term)];
  for (const k of ['betas', 'head', 'stack'] as const) p[k].forEach((x, i) => x.forEach((_v, j) => {
    assert.ok(Math.abs(g.fit[k][i][j] - fit[k][i][j]) <= 1e-6, `fit ${k}[${i}][${j}]: ${g.fit[k][i][j]} vs ${fit[k][i][j]}`);
    assert.ok(Math.abs(g.costTerm[k][i][j] - costTerm[k][i][j]) <= 1e-12, `cost ${k}[${i}][${j}]`);
  }));
  assert.ok(Math.abs(g.result.cost - (cost[0] + cost[1] + cost[2]) / 3) < 1e-12);
  assert.ok(Math.abs(g.result.loss - (ce[0] + ce[1] + ce[2] + term[0] + term[1] + term[2]) / 3) < 1e-5);
  assert.is(g.sampled, undefined);
  b.x.dispose();
  m.net.dispose();
});

test("weight_sampling 'path': a weight step is one SGD step of one drawn architecture alone; validation runs the derived one", async () => {
  const rng = new Random(10);
  const { costs, b, host } = await tableAndBatch(rng);
  const c = structuredClone(cfg);
  for (const o of ['search_params.weight_sampling=path', 'optim.weight.momentum=0', 'optim.weight.weight_decay=0']) applyOverride(c, o);
  const p = randomParams(new Random(11), 1), m = modelAt(c, costs, p), ref = modelAt(c, costs, p);
  const before = await Promise.all(ref.net.parameters().map((w) => w.toArray()));
  // the reference: the architecture the step draws, trained alone by plain SGD at the config's rate
  const ch = sampleChoice(space, p, new Random(3), 'uniform');
  const sgd = new SGD(ref.net.parameters(), { lr: c.optim.weight.init_lr });
  const loss = crossEntropy(ref.net.forwardChoice(b.x, ch), b.y);
  const want = await loss.item();
  loss.backward(); sgd.step(); sgd.zeroGrad();
  const r = await m.step('weight', host, 'uniform', new Random(3));
  assert.ok(Math.abs(r.loss - want) < 1e-5, `step loss ${r.loss}, the architecture alone ${want}`);
  assert.ok(Math.abs(r.cost - choiceCost(space, costs, ch)) < 1e-12);
  const got = await Promise.all(m.net.parameters().map((w) => w.toArray()));
  const after = await Promise.all(ref.net.parameters().map((w) => w.toArray()));
  let moved = 0, still = 0;
  got.forEach((g, k) => {
    assertClose(g, after[k], `parameter ${k}`, 1e-4, 1e-6);
    if (after[k].some((v, j) => v !== before[k][j])) moved++; else still++;
  });
  assert.ok(moved > 0 && still > 0, `the step trains the drawn architecture only: ${moved} tensors moved, ${still} kept`);
  // validation: the derived architecture alone
  const v = await m.step('valid', host, 'argmax', new Random(3));
  const derivedLoss = await noGrad(() => crossEntropy(ref.net.forwardChoice(b.x, deriveArch(space, p).choice), b.y)).item();
  assert.ok(Math.abs(v.loss - derivedLoss) < 1e-5, `valid loss ${v.loss}, derived architecture alone ${derivedLoss}`);
  b.x.dispose();
  m.net.dispose(); ref.net.dispose();
});

test.run();
