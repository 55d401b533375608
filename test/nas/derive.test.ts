// Derivation (spec 5): parameters chosen to pick DenseNAS-C must print exactly the DenseNAS-C
// net_config of spec 5.4; the Viterbi path must equal a brute-force max-product path. With a
// cost target (spec 9d), the architecture derived in the band must be the most probable one of
// a brute-force enumeration, with costs summed from the net_config by an independent route.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { mapArchParams, softmaxArray, zeroArchParams, type ArchParams } from '../../nas/arch_params.js';
import { archShapeOf, summarizeArch } from '../../nas/arch_summary.js';
import { loadConfig, type Config } from '../../nas/config.js';
import { opsTableCost, resolveCosts, spaceOpDescs, TABLE_FORMAT, type CostTable } from '../../nas/cost_table.js';
import { choiceOfRecord, choiceOps, costBand, deriveArch, deriveForTarget, derivePath, inBand, mostProbableInBand } from '../../nas/derive.js';
import { Random } from '../../engine/random.js';
import { randomChoice, sampleInBand } from '../../nas/sample.js';
import { archOps, formatArch, totalLayers, type NetConfig } from '../../nas/net_config.js';
import { opKey } from '../../nas/ops.js';
import { buildSpace, type SearchSpace } from '../../nas/space.js';
import { MBV2_CFG, QUICK_CFG, RES_CFG, config } from './paths.js';

const mbv2 = buildSpace(loadConfig([MBV2_CFG]));

test('parameters favouring DenseNAS-C derive its net_config, skip layers removed', () => {
  const p = zeroArchParams(mbv2);
  const path = [0, 1, 4, 7, 10, 11, 12, 16, 17];
  // block -> [head op, stack op per layer]; 'skip_connect' layers must disappear
  const ops: Record<number, [string, string[]]> = {
    1: ['mbconv_k3_t6', ['skip_connect', 'skip_connect', 'skip_connect']],
    4: ['mbconv_k7_t6', ['skip_connect', 'mbconv_k3_t3', 'skip_connect']],
    7: ['mbconv_k5_t6', ['mbconv_k3_t6', 'skip_connect', 'mbconv_k3_t3']],
    10: ['mbconv_k3_t6', ['mbconv_k3_t3', 'mbconv_k3_t3', 'skip_connect']],
    11: ['mbconv_k3_t6', ['mbconv_k7_t3', 'mbconv_k5_t6', 'mbconv_k7_t3']],
    12: ['mbconv_k3_t3', ['mbconv_k3_t6', 'mbconv_k3_t6', 'mbconv_k3_t6']],
    16: ['mbconv_k7_t6', []],
  };
  const kh = mbv2.primitivesHead.length, ks = mbv2.primitivesStack.length;
  for (let i = 0; i + 1 < path.length; i++) {
    const m = path[i], s = path[i + 1];
    p.betas[m][mbv2.succ[m].indexOf(s)] = 2;
    if (s === 17) continue;
    const [head, stack] = ops[s];
    p.head[s - 1][mbv2.pred[s].indexOf(m) * kh + mbv2.primitivesHead.indexOf(head)] = 0.5;
    stack.forEach((op, l) => { p.stack[s - 1][l * ks + mbv2.primitivesStack.indexOf(op)] = 0.01; });
  }
  const d = deriveArch(mbv2, p);
  assert.equal(d.path, path);
  const original = readFileSync(config('densenas_c.net_config'), 'utf8').split('\n')[0];
  assert.is(formatArch(d.net), original);
  assert.is(totalLayers(d.net), 9 + 11);   // entries + kept stack ops
});

/** Brute force: the path with the largest product of softmax(beta) along its edges. */
function bestPath(sp: SearchSpace, betas: Float64Array[]): number[] {
  let best: number[] = [], bestP = -1;
  const walk = (s: number, prob: number, path: number[]) => {
    if (s === sp.numNodes - 1) { if (prob > bestP) { bestP = prob; best = path; } return; }
    const ps = softmaxArray(betas[s], 1);
    sp.succ[s].forEach((t, j) => walk(t, prob * ps[j], [...path, t]));
  };
  walk(0, 1, [0]);
  return best;
}

test('Viterbi path equals the brute-force best path on random betas (both spaces)', () => {
  let seed = 99;
  const rnd = () => { seed = (seed * 16807) % 2147483647; return seed / 2147483647; };
  const res = buildSpace(loadConfig([RES_CFG], ['search_params.adjoin_connect_nums=[4,4,4,4,4,4,4]']));
  for (const sp of [mbv2, res]) {
    for (let trial = 0; trial < 5; trial++) {
      const p = zeroArchParams(sp);
      for (const b of p.betas) for (let j = 0; j < b.length; j++) b[j] = rnd() * 6 - 3;
      assert.equal(derivePath(sp, p.betas), bestPath(sp, p.betas));
    }
  }
});

test('ties keep the nearest predecessor and the first op', () => {
  // All logits zero: every op argmax is a tie, kept by the first primitive.
  const d = deriveArch(mbv2, zeroArchParams(mbv2));
  for (const b of d.net.blocks.slice(1)) {
    assert.is(b.head, 'mbconv_k3_t3');
    assert.equal(b.stack, b.stack.map(() => 'mbconv_k3_t3'));
  }
  // Node 5 reached with equal scores from 4 and from 3 (1 -> 3 and 1 -> 4 equally likely,
  // 3 -> 5 and 4 -> 5 near certain): the nearest predecessor, 4, is kept.
  const q = zeroArchParams(mbv2);
  q.betas[1].set([-50, 0, 0]);
  q.betas[3].set([-50, 10, -50, -50]);
  q.betas[4].set([10, -50, -50]);
  assert.equal(derivePath(mbv2, q.betas).slice(0, 4), [0, 1, 4, 5]);
});


let seed2 = 4242;
const rnd2 = () => { seed2 = (seed2 * 16807) % 2147483647; return seed2 / 2147483647; };
const randomParams = (sp: SearchSpace, scale: number): ArchParams => mapArchParams(sp, (_k, _i, n) => Float64Array.from({ length: n }, () => (rnd2() * 2 - 1) * scale));

/** A keyed table with a random cost for every op of the space; skips cost something here, and the derived network drops them. */
function randomTable(sp: SearchSpace): CostTable {
  const entries: Record<string, number> = {};
  for (const d of spaceOpDescs(sp, 1)) entries[opKey(d)] = 0.2 + rnd2() * 5;
  return { format: TABLE_FORMAT, kind: 'latency', units: 'ms', device: 'random', batch: 1, entries };
}

/** Every architecture of the space: its net_config and the log of the product of its edge and op probabilities. */
function everyArch(sp: SearchSpace, p: ArchParams): { net: NetConfig; logp: number }[] {
  const out: { net: NetConfig; logp: number }[] = [];
  const kh = sp.primitivesHead.length, ks = sp.primitivesStack.length, n = sp.numNodes;
  const lsm = (x: Float64Array, from: number, k: number) => Array.from(softmaxArray(x.subarray(from, from + k), 1), Math.log);
  const walk = (m: number, logp: number, net: NetConfig) => {
    sp.succ[m].forEach((s, j) => {
      const edge = logp + Math.log(softmaxArray(p.betas[m], 1)[j]);
      if (s === n - 1) { out.push({ net: { ...net, conv1_1: [sp.chs[m], sp.lastDim] }, logp: edge }); return; }
      const r = sp.pred[s].indexOf(m);
      lsm(p.head[s - 1], r * kh, kh).forEach((lh, h) => {
        // every combination of stack ops, layer by layer
        let combos: { ops: string[]; logp: number }[] = [{ ops: [], logp: 0 }];
        for (let l = 0; l < sp.numLayers[s]; l++) {
          const row = lsm(p.stack[s - 1], l * ks, ks);
          combos = combos.flatMap((c) => row.map((lp, k) => ({ ops: [...c.ops, sp.primitivesStack[k]], logp: c.logp + lp })));
        }
        for (const c of combos) {
          const block = { chs: [sp.chs[m], sp.chs[s]] as [number, number], head: sp.primitivesHead[h], stack: c.ops.filter((o) => o !== 'skip_connect'), stride: sp.predStride[s][r] };
          walk(s, edge + lh + c.logp, { ...net, blocks: [...net.blocks, block] });
        }
      });
    });
  };
  walk(0, 0, { netType: 'mbv2', blocks: [{ chs: [sp.initDim, sp.headDim], head: 'mbconv_k3_t1', stack: [], stride: 1 }] });
  return out;
}

// The quick Fashion-MNIST space with three head and three stack ops: a few thousand architectures.
const smallCfg: Config = loadConfig([QUICK_CFG], ['search_params.PRIMITIVES_head=[mbconv_k3_t3,mbconv_k5_t6,mbconv_k7_t1]', 'search_params.PRIMITIVES_stack=[mbconv_k3_t6,mbconv_k5_t3,skip_connect]']);
const small = buildSpace(smallCfg);

test('derived costs equal the net_config summed through the table, skip layers free', () => {
  for (const [cfg, sp] of [[smallCfg, small], [loadConfig([MBV2_CFG]), mbv2]] as const) {
    const table = randomTable(sp), { costs } = resolveCosts(sp, table);
    for (let trial = 0; trial < 8; trial++) {
      const d = deriveForTarget(sp, randomParams(sp, 3), costs);
      assert.is(d.method, 'viterbi');
      const ref = summarizeArch(d.net, cfg, table).cost!;
      assert.ok(Math.abs(d.cost - ref) < 1e-9 * ref, `${d.cost} vs ${ref}`);
    }
  }
});

test('the architecture derived in the band is the most probable one there (brute force, both target forms)', () => {
  const table = randomTable(small), { costs } = resolveCosts(small, table);
  const shape = archShapeOf(smallCfg, smallCfg.search_params.num_classes, 1);
  for (let trial = 0; trial < 4; trial++) {
    const p = randomParams(small, 2);
    const all = everyArch(small, p).map((a) => ({ ...a, cost: opsTableCost(archOps(a.net, shape), table).total }));
    const target = all[Math.floor(rnd2() * all.length)].cost;
    const band = costBand(target, trial % 2 ? 'upper' : 'two_sided', 0.03);
    const best = all.filter((a) => a.cost >= band.lo && a.cost <= band.hi).reduce((a, b) => (b.logp > a.logp ? b : a));
    // exact buckets: the brute-force optimum
    const exact = mostProbableInBand(small, p, costs, band, 1e-12);
    assert.ok(exact.inBand);
    assert.ok(Math.abs(exact.cost - best.cost) < 1e-9 * best.cost, `cost ${exact.cost} vs ${best.cost}`);
    // default buckets: in the band, and no less probable than any architecture of the band
    // shrunk by a bucket for each of the at most 3 steps per node
    const d = deriveForTarget(small, p, costs, band), w = target / 1000, margin = 3 * small.numNodes * w;
    assert.ok(d.cost >= band.lo && d.cost <= band.hi, `${d.cost} outside [${band.lo}, ${band.hi}]`);
    if (d.method === 'in_band') {
      const logp = all.find((a) => formatArch(a.net) === formatArch(d.net))!.logp;
      for (const a of all) if (a.cost >= band.lo + margin && a.cost <= band.hi - margin) assert.ok(a.logp <= logp + 1e-12, `${formatArch(a.net)} is more probable`);
    } else assert.is(formatArch(d.net), formatArch(deriveArch(small, p).net));
  }
});

test('sample: distinct random architectures, each in the band by its net_config summed through the table', () => {
  const table = randomTable(small), { costs } = resolveCosts(small, table);
  const shape = archShapeOf(smallCfg, smallCfg.search_params.num_classes, 1);
  // skip layers make several choices one network: key by the network
  const cost = new Map(everyArch(small, zeroArchParams(small)).map((a) => [formatArch(a.net), opsTableCost(archOps(a.net, shape), table).total]));
  const sorted = [...cost.values()].sort((a, b) => a - b);
  const band = costBand(sorted[Math.floor(sorted.length / 2)], 'two_sided', 0.0005);
  const inside = [...cost].filter(([, c]) => inBand(band, c)).map(([k]) => k);
  assert.ok(inside.length > 5 && inside.length < cost.size / 20, `${inside.length} of ${cost.size} in the band`);
  const got = sampleInBand(small, costs, band, Math.ceil(inside.length / 2), new Random(7));
  const keys = got.map((d) => formatArch(d.net));
  assert.is(new Set(keys).size, keys.length, 'distinct');
  for (const k of keys) assert.ok(inside.includes(k), `${k} is not in the band`);
  for (const d of got) assert.ok(Math.abs(d.cost - cost.get(formatArch(d.net))!) < 1e-9 * d.cost, `${formatArch(d.net)}: ${d.cost}`);
  assert.equal(sampleInBand(small, costs, band, 3, new Random(7)).map((d) => formatArch(d.net)), keys.slice(0, 3));
  assert.throws(() => sampleInBand(small, costs, band, inside.length + 1, new Random(7), 50_000), /distinct architectures of/);
});

test('a record names its choice by op names, skips included, and reads back to the same choice; bad records are named', () => {
  const rng = new Random(11);
  for (let i = 0; i < 20; i++) {
    const c = randomChoice(mbv2, rng);
    assert.equal(choiceOfRecord(mbv2, { path: c.path, ops: choiceOps(mbv2, c) }, 'r'), c);
  }
  const c = randomChoice(mbv2, rng), ops = choiceOps(mbv2, c);
  assert.throws(() => choiceOfRecord(mbv2, { path: c.path }, 'f.json'), /f.json: no path and ops fields/);
  assert.throws(() => choiceOfRecord(mbv2, { path: [0, mbv2.numNodes - 1], ops }, 'f.json'), /no edge 0 -> /);
  assert.throws(() => choiceOfRecord(mbv2, { path: c.path, ops: { ...ops, head: ops.head.map(() => 'conv9x9') } }, 'f.json'), /head op "conv9x9" is not a candidate/);
  assert.throws(() => choiceOfRecord(mbv2, { path: c.path, ops: { ...ops, stack: ops.stack.map((l) => [...l, 'skip_connect']) } }, 'f.json'), /ops.stack\[0\]: block \d+ has \d+ stack layers/);
});

test('a target: the Viterbi architecture is kept inside the band and replaced outside it; an unreachable band takes the nearest', () => {
  const table = randomTable(mbv2), { costs } = resolveCosts(mbv2, table);
  const p = randomParams(mbv2, 2), v = deriveForTarget(mbv2, p, costs);
  const kept = deriveForTarget(mbv2, p, costs, costBand(v.cost, 'two_sided', 0.05));
  assert.is(kept.method, 'viterbi');
  assert.is(formatArch(kept.net), formatArch(deriveArch(mbv2, p).net));
  for (const target of [0.7 * v.cost, 1.4 * v.cost]) {
    const d = deriveForTarget(mbv2, p, costs, costBand(target, 'two_sided', 0.05));
    assert.is(d.method, 'in_band');
    assert.is(d.viterbiCost, v.cost);
    assert.ok(d.inBand && Math.abs(d.cost / target - 1) <= 0.05, `${d.cost} for target ${target}`);
    assert.ok(Math.abs(d.cost - summarizeArch(d.net, loadConfig([MBV2_CFG]), table).cost!) < 1e-9 * d.cost);
  }
  // Below the cheapest architecture: about the cheapest (to a bucket a step), flagged as missing the band.
  const min = (row: number[]) => Math.min(...row), skip = mbv2.primitivesStack.indexOf('skip_connect');
  const cheapest = [0];
  for (let s = 1; s < mbv2.numNodes; s++) {
    const arrive = min(mbv2.pred[s].map((m, r) => cheapest[m] + (s === mbv2.numNodes - 1 ? costs.last[r] : min(costs.head[s - 1][r]))));
    cheapest.push(arrive + (s < mbv2.numNodes - 1 ? costs.stack[s - 1].reduce((a, row) => a + min(row.map((c, k) => (k === skip ? 0 : c))), 0) : 0));
  }
  const floor = cheapest[mbv2.numNodes - 1] + costs.stem + costs.classifier;
  const far = deriveForTarget(mbv2, p, costs, costBand(1e-3, 'upper', 0));
  assert.ok(!far.inBand);
  assert.ok(far.cost >= floor - 1e-9 && far.cost <= 1.02 * floor, `${far.cost} vs the cheapest ${floor}`);
});

test.run();
