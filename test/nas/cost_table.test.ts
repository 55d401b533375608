// Cost tables: the importer of the original positional tables, keyed resolution, the latency
// of DenseNAS-C's path (spec 13: 17.98 ms) and the resumable builder.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zeroArchParams } from '../../nas/arch_params.js';
import { loadConfig } from '../../nas/config.js';
import { chainedCost } from '../../nas/cost_chain.js';
import {
  buildCostTable, chooseCosts, costsFromFile, flopsTable, importPositional, opsTableCost, readCostTable, resolveCosts, spaceOpDescs, writeCostTable,
  POSITIONAL_META, type CostTable,
} from '../../nas/cost_table.js';
import { archOps, readNetConfig } from '../../nas/net_config.js';
import { opKey, parseOpKey } from '../../nas/ops.js';
import { buildSpace } from '../../nas/space.js';
import { MBV2_CFG, RES_CFG, config, haveLatencyTables, latencyTable } from './paths.js';

const dir = mkdtempSync(join(tmpdir(), 'densenas-table-'));
const mbv2 = buildSpace(loadConfig([MBV2_CFG]));
const res = buildSpace(loadConfig([RES_CFG]));
const raw = (name: string) => JSON.parse(readFileSync(latencyTable(name), 'utf8'));

test('op keys round-trip for every op of both spaces', () => {
  for (const sp of [mbv2, res]) for (const d of spaceOpDescs(sp, 32)) assert.equal(parseOpKey(opKey(d)), d);
  assert.throws(() => parseOpKey('mbconv_k4_t6|cin=16|cout=24|in=112|s=2|b=32'), /unknown op 'mbconv_k4_t6'/);
  assert.throws(() => parseOpKey('mbconv_k3_t6|cin=16|cout=24|in=112|b=32'), /field s must be a positive integer/);
});

if (haveLatencyTables()) {
  test('mbv2 table: every mismatch reported (3 stack rows on nodes 14-16), spec values by position', () => {
    const r = importPositional(mbv2, raw('lat_list_densenas_mbv2_xp32'), POSITIONAL_META);
    assert.equal(r.mismatches, [14, 15, 16].map((s) => `table[1][${s - 1}][1] (node ${s} stack): has 3 stack layers, the space has 0`));
    const c = r.costs!;
    assert.equal([c.stem, c.classifier, ...c.last].map((x) => +x.toFixed(3)), [2.130, 0.404, 0.300, 0.281, 0.268]);
    assert.equal(c.head[0][0].map((x) => +x.toFixed(3)), [2.042, 3.915, 2.827, 5.422, 3.751, 7.125]);
    assert.equal(c.stack[0][0].map((x) => +x.toFixed(4)), [1.6153, 3.0374, 2.3988, 4.6550, 3.2613, 6.3180, 0.0042]);
    assert.equal(c.head.map((rows) => rows.length), [1, 1, 2, 3, 3, 4, 4, 3, 4, 4, 3, 4, 4, 3, 4, 4]);
    // Keyed entries: the three stack layers of a block share one key; their mean is kept.
    const k = opKey({ op: 'mbconv_k3_t3', cin: 24, cout: 24, in: 56, stride: 1, batch: 32 });
    const layers = raw('lat_list_densenas_mbv2_xp32')[1][0][1].map((row: number[]) => row[0]);
    assert.ok(Math.abs(r.table.entries[k] - (layers[0] + layers[1] + layers[2]) / 3) < 1e-12);
    assert.ok(Math.abs(r.table.spread![k] - (Math.max(...layers) - Math.min(...layers))) < 1e-12);
  });

  test('resnet tables match the resnet space exactly; reg10 equals skip_reg applied', () => {
    const plain = importPositional(res, raw('lat_list_resv2_32'), POSITIONAL_META);
    const reg = importPositional(res, raw('lat_list_resv2_32_reg10'), POSITIONAL_META);
    assert.equal(plain.mismatches, []);
    assert.equal(reg.mismatches, []);
    const viaSkipReg = costsFromFile(latencyTable('lat_list_resv2_32'), res, { skipReg: true }).costs;
    reg.costs!.stack.flat().forEach((row, i) => assert.ok(Math.abs(row[1] - viaSkipReg.stack.flat()[i][1]) < 1e-9 * row[0]));
  });

  test('a truncated table reports every missing position and gives no costs', () => {
    const t = raw('lat_list_densenas_mbv2_xp32');
    t[1][4][0].pop();        // node 5 loses a head edge
    t[1][6][1][2].pop();     // node 7, stack layer 2 loses skip
    t[2] = [0.3];
    const r = importPositional(mbv2, t, POSITIONAL_META);
    assert.is(r.costs, undefined);
    for (const m of ['table[1][4][0] (node 5 head): has 2 head edges, the space has 3', 'table[1][6][1] (node 7 stack)[2]: has 6 stack ops, the space has 7',
      'table[2] (conv1_1 branches): has 1 branches, the space has 3']) assert.ok(r.mismatches.includes(m), r.mismatches.join('\n'));
    writeFileSync(join(dir, 'cut.json'), JSON.stringify(t));
    assert.throws(() => costsFromFile(join(dir, 'cut.json'), mbv2, { skipReg: false }), /does not cover the space:\n {2}table\[1\]\[4\]\[0\]/);
  });

  test("DenseNAS-C's path: 17.98 ms with the original mbv2 table (spec 13)", () => {
    const r = importPositional(mbv2, raw('lat_list_densenas_mbv2_xp32'), POSITIONAL_META);
    const net = readNetConfig(config('densenas_c.net_config'));
    const lat = opsTableCost(archOps(net, { inputSize: 224, inChannels: 3, stemStride: 2, classes: 100, batch: 32 }), r.table);
    assert.equal(lat.missing, []);
    assert.is(+lat.total.toFixed(2), 17.98);
    // By position along nodes 0-1-4-7-10-11-12-16-17, stack op l at layer position l.
    const c = r.costs!, path = [0, 1, 4, 7, 10, 11, 12, 16, 17];
    let sum = c.stem + c.classifier + c.last[mbv2.pred[17].indexOf(16)];
    net.blocks.slice(1).forEach((e, i) => {
      const s = path[i + 1], row = mbv2.pred[s].indexOf(path[i]);
      sum += c.head[s - 1][row][mbv2.primitivesHead.indexOf(e.head)];
      e.stack.forEach((op, l) => { sum += c.stack[s - 1][l][mbv2.primitivesStack.indexOf(op)]; });
    });
    assert.is(+sum.toFixed(2), 17.98);
  });

  test('uniform expected cost of the mbv2 space is about 32 ms (spec 3.5)', () => {
    const { costs } = costsFromFile(latencyTable('lat_list_densenas_mbv2_xp32'), mbv2, { skipReg: false });
    const C = chainedCost(mbv2, costs, zeroArchParams(mbv2), { temperature: 1 }).cost;
    assert.ok(C > 31 && C < 33.5, `${C}`);
  });
}

test('keyed table resolves to any space and lists missing keys', () => {
  const descs = spaceOpDescs(mbv2, 8);
  const entries: Record<string, number> = {};
  descs.forEach((d, i) => { entries[opKey(d)] = i + 1; });
  const table: CostTable = { format: 'densenas-cost-table/1', kind: 'latency', units: 'ms', device: 'test', batch: 8, entries };
  const { costs, missing } = resolveCosts(mbv2, table);
  assert.equal(missing, []);
  assert.is(costs.head[2][1][3], entries[opKey({ op: 'mbconv_k5_t6', cin: 24, cout: 40, in: 56, stride: 2, batch: 8 })]);
  delete entries[opKey(descs[5])];
  assert.equal(resolveCosts(mbv2, table).missing, [opKey(descs[5])]);
  // skip_reg replaces a skip cost by the layer's first op / 10
  const reg = resolveCosts(mbv2, { ...table, entries: { ...entries, [opKey(descs[5])]: 1 } }, { skipReg: true }).costs;
  assert.is(reg.stack[3][2][6], reg.stack[3][2][0] / 10);
  // a calibrated table scales every cost, along the space and along a derived architecture
  const cal = { ...table, entries: { ...entries, [opKey(descs[5])]: 1 }, calibration: { scale: 0.8, ratios: [0.8] } };
  const scaled = resolveCosts(mbv2, cal).costs;
  assert.is(scaled.head[2][1][3], 0.8 * entries[opKey({ op: 'mbconv_k5_t6', cin: 24, cout: 40, in: 56, stride: 2, batch: 8 })]);
  const ops = descs.slice(0, 7);
  assert.ok(Math.abs(opsTableCost(ops, cal).total - 0.8 * opsTableCost(ops, { ...cal, calibration: undefined }).total) < 1e-9);
});

test('one choice of costs: a given table, else the run\'s or latency_list_path for latency, counted FLOPs for flops', () => {
  const entries: Record<string, number> = {};
  spaceOpDescs(mbv2, 8).forEach((d, i) => { entries[opKey(d)] = 1 + (i % 7); });
  const given = join(dir, 'given.json'), run = join(dir, 'run_table.json'), absent = join(dir, 'absent.json');
  for (const [path, device] of [[given, 'given'], [run, 'run']]) {
    writeCostTable(path, { format: 'densenas-cost-table/1', kind: 'latency', units: 'ms', device, batch: 8, entries });
  }
  const latency = { ...loadConfig([MBV2_CFG]).optim.sub_obj, latency_list_path: '' };
  const flops = { ...latency, type: 'flops' as const };
  assert.is(chooseCosts(mbv2, latency, given, run).table.device, 'given');
  assert.is(chooseCosts(mbv2, flops, given).table.device, 'given');
  assert.is(chooseCosts(mbv2, latency, undefined, run).table.device, 'run');
  assert.is(chooseCosts(mbv2, { ...latency, latency_list_path: given }, undefined, absent).table.device, 'given');
  const counted = chooseCosts(mbv2, flops, undefined, run);
  assert.is(counted.table.kind, 'flops');
  assert.equal(counted.costs, resolveCosts(mbv2, flopsTable(mbv2)).costs);
  assert.throws(() => chooseCosts(mbv2, latency, undefined, absent), /a latency cost needs a table: pass --table FILE/);
});

test('builder measures only what is missing, reports progress, resumes, writes valid JSON', async () => {
  const path = join(dir, 'lut.json');
  const descs = spaceOpDescs(res, 4);
  const measured: string[] = [];
  const measure = async (d: (typeof descs)[0]) => { measured.push(opKey(d)); if (measured.length === 10 && !existsSync(join(dir, 'stop'))) { writeFileSync(join(dir, 'stop'), ''); throw new Error('interrupted'); } return { value: d.cin / 100, spread: 0.01 }; };
  const meta = { path, kind: 'latency' as const, units: 'ms', device: 'fake', batch: 4 };
  await buildCostTable(descs, measure, meta).then(() => assert.unreachable(), (e: Error) => assert.is(e.message, 'interrupted'));
  assert.is(Object.keys(readCostTable(path).entries).length, 9);   // written after each measurement
  const progress: number[] = [];
  const table = await buildCostTable(descs, measure, { ...meta, onProgress: (done) => progress.push(done) });
  assert.is(measured.length, 10 + descs.length - 9);
  assert.equal(progress, descs.map((_, i) => i + 1));
  assert.equal(readCostTable(path), table);
  assert.equal(resolveCosts(res, table).missing, []);
  // a calibration no longer holds once an entry is measured after it
  const partial = readCostTable(path);
  delete partial.entries[opKey(descs[0])];
  writeCostTable(path, { ...partial, calibration: { scale: 0.9, ratios: [0.9] } });
  assert.is((await buildCostTable(descs, measure, meta)).calibration, undefined);
  await buildCostTable(descs, measure, { ...meta, device: 'other' }).then(() => assert.unreachable(), (e: Error) => assert.match(e.message, 'cannot resume, its device is "fake"'));
});

test('malformed table files name the file and field', () => {
  const p = join(dir, 'bad.json');
  const base = { format: 'densenas-cost-table/1', kind: 'latency', units: 'ms', device: 'd', batch: 2, entries: {} };
  const cases: [object, string][] = [
    [{ ...base, batch: 0 }, 'field batch must be a positive integer'],
    [{ ...base, kind: 'energy' }, 'field kind must be "latency" or "flops"'],
    [{ ...base, entries: { 'conv1_1|cin=4|cout=8|in=7|s=1|b=3': 1 } }, "entries key 'conv1_1|cin=4|cout=8|in=7|s=1|b=3': batch differs from the table's batch 2"],
    [{ ...base, entries: { 'conv1_1|cin=4|cout=8|in=7|s=1|b=2': -1 } }, "entries key 'conv1_1|cin=4|cout=8|in=7|s=1|b=2': expected a finite number >= 0, got -1"],
    [{ ...base, calibration: { scale: 0 } }, 'field calibration must be {"scale": finite number > 0, "ratios": [finite numbers > 0]}'],
    [{ ...base, calibration: { scale: 0, ratios: [] } }, 'field calibration.scale: expected a finite number > 0, got 0'],
  ];
  for (const [obj, msg] of cases) {
    writeCostTable(p, obj as CostTable);
    assert.throws(() => readCostTable(p), (e: Error) => e.message === `cost table ${p}: ${msg}` || (console.log(e.message), false));
  }
  writeFileSync(p, '{"format": ');
  assert.throws(() => readCostTable(p), (e: Error) => e.message.startsWith(`cost table ${p}: not JSON`));
});

test.run();
