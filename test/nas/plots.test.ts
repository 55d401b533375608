// The plots of a search run, on run directories written here by hand (a tiny config, metrics
// and arch lines whose outcome is known): every file written, the SVG well-formed XML with one
// edge element per supernet edge at its softmax probability, the derived path highlighted and
// labelled with its ops, PNGs of the declared size, curves with one point per epoch, runs in
// progress and the ResNet space, and clear errors for bad files.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { archParamsFromJson, type ArchParams } from '../../nas/arch_params.js';
import { loadConfig } from '../../nas/config.js';
import { deriveArch, derivePath } from '../../nas/derive.js';
import { archOps, formatArch, netConfigToJson, parseNetConfigText } from '../../nas/net_config.js';
import { archShapeOf } from '../../nas/arch_summary.js';
import { opKey } from '../../nas/ops.js';
import { readRun, writeRunPlots } from '../../nas/plots/index.js';
import { buildSpace, spaceCounts, type SearchSpace } from '../../nas/space.js';
import { runCli, tempDir } from '../cli.js';

const dir = tempDir('plots');
test.after(() => rmSync(dir, { recursive: true, force: true }));

// ---- a strict little XML reader: elements, attributes, text; throws on anything malformed ----

interface XmlEl { tag: string; attrs: Record<string, string>; children: XmlEl[]; text: string }

function parseXml(src: string): XmlEl {
  let i = 0;
  const fail = (msg: string): never => { throw new Error(`XML at ${i}: ${msg}`); };
  const unescape = (s: string) => {
    if (/&(?!(amp|lt|gt|quot|apos|#\d+);)/.test(s)) fail(`bad entity in '${s}'`);
    return s.replace(/&(amp|lt|gt|quot|apos|#\d+);/g, (_, e) => ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[e] ?? String.fromCodePoint(Number(e.slice(1))));
  };
  const skipWs = () => { while (/\s/.test(src[i] ?? '')) i++; };
  const element = (): XmlEl => {
    if (src[i] !== '<') fail('expected <');
    const tag = /^<([A-Za-z_][\w:.-]*)/.exec(src.slice(i))?.[1] ?? fail('bad tag name');
    i += tag.length + 1;
    const e: XmlEl = { tag, attrs: {}, children: [], text: '' };
    for (;;) {
      skipWs();
      if (src.startsWith('/>', i)) { i += 2; return e; }
      if (src[i] === '>') { i++; break; }
      const m = /^([A-Za-z_][\w:.-]*)="([^"<]*)"/.exec(src.slice(i)) ?? fail(`bad attribute in <${tag}>`);
      if (m[1] in e.attrs) fail(`duplicate attribute ${m[1]}`);
      e.attrs[m[1]] = unescape(m[2]);
      i += m[0].length;
    }
    for (;;) {
      const lt = src.indexOf('<', i);
      if (lt < 0) fail(`unclosed <${tag}>`);
      e.text += unescape(src.slice(i, lt));
      i = lt;
      if (src.startsWith(`</${tag}>`, i)) { i += tag.length + 3; return e; }
      if (src.startsWith('</', i)) fail(`mismatched close tag inside <${tag}>`);
      e.children.push(element());
    }
  };
  if (src.startsWith('<?xml')) i = src.indexOf('?>') + 2;
  skipWs();
  const root = element();
  skipWs();
  if (i !== src.length) fail('text after the root element');
  return root;
}

const all = (e: XmlEl): XmlEl[] => [e, ...e.children.flatMap(all)];
const hasClass = (e: XmlEl, c: string) => (e.attrs.class ?? '').split(' ').includes(c);
const svgOf = (path: string) => parseXml(readFileSync(path, 'utf8'));

// ---- run directories written by hand ----------------------------------------------------

// Nodes 0..5 (the last one is conv1_1) at 16, 8, 8, 4, 4, 4; by the scanning rule the edges are
// 0->1,2  1->2,3,4  2->3,4  3->4,5  4->5: 10 in all.
const tinyYaml = (netType: 'mbv2' | 'res') => `net_type: ${netType}
search_params:
  num_classes: 10
  adjoin_connect_nums: [3, 3, 3]
  PRIMITIVES_head: ${netType === 'mbv2' ? '[mbconv_k3_t3, mbconv_k5_t6, mbconv_k7_t6]' : '[basic_block]'}
  PRIMITIVES_stack: ${netType === 'mbv2' ? '[mbconv_k3_t3, mbconv_k5_t3, skip_connect]' : '[basic_block, skip_connect]'}
  net_scale: { chs: [8, 16, 24, 32, 40], fm_sizes: [16, 8, 8, 4, 4], stage: [0, 1, 1, 2, 2, 3], num_layers: [0, 1, 2, 0, 1], stem_stride: 1 }
optim: { init_dim: 8, head_dim: 8, last_dim: 64 }
data: { input_size: [1, 16, 16] }
`;
const SUCC = [[1, 2], [2, 3, 4], [3, 4], [4, 5], [5]];
const PRED_ROWS = [1, 2, 2, 3];         // incoming edges of blocks 1..4
const LAYERS = [1, 2, 0, 1];
const PATH = [0, 2, 4, 5];              // favoured below: 0->2, 2->4, 4->5

/** Logits that drift a little with the epoch and strongly favour the path 0-2-4-5 and chosen ops. */
function archLine(epoch: number, nHead: number, nStack: number) {
  const w = (i: number, j: number, k: number) => 0.2 * Math.sin(1 + i * 1.3 + j * 0.7 + k * 0.4 + epoch);
  const betas = SUCC.map((outs, m) => outs.map((s, j) => w(m, j, 0) + (PATH.includes(m) && PATH[PATH.indexOf(m) + 1] === s ? 3 + epoch : 0)));
  // favoured ops: node 2 head from 0 (row 1 of pred [1, 0]) op 1; node 4 head from 2 (row 1 of [3, 2, 1]) op 2;
  // node 2 stack layer 0 op 0, layer 1 skip (the last stack op); node 4 stack layer 0 op 1
  const fav: Record<string, number> = { 'h2.1': 1, 'h4.1': 2, 's2.0': 0, 's2.1': nStack - 1, 's4.0': 1 };
  const head = PRED_ROWS.map((rows, b) => Array.from({ length: rows }, (_, r) => Array.from({ length: nHead }, (_, k) => w(b, r, k) + (fav[`h${b + 1}.${r}`] === k ? 4 : 0))));
  const stack = LAYERS.map((n, b) => Array.from({ length: n }, (_, l) => Array.from({ length: nStack }, (_, k) => w(b, l + 5, k) + (fav[`s${b + 1}.${l}`] === k ? 4 : 0))));
  return { epoch, betas, head_alphas: head, stack_alphas: stack, softmax_temp: 1, op_entropy: [0.5, 0.5, 0.5, 0.5] };
}

const phaseLine = (epoch: number, phase: string, loss: number, top1: number) => ({ kind: 'phase', epoch, phase, loss, top1, top5: top1 + 20, cost: 1, seconds: 3 });
/** The epoch's record, with the architecture the search derives from `params`. */
function epochLine(epoch: number, table: number | null, space: SearchSpace, params: ArchParams) {
  const d = deriveArch(space, params);
  return { kind: 'epoch', epoch, arch: formatArch(d.net), layers: 6, path: d.path, params: 12345, madds: 67890, table_cost: table, expected_cost: 5 - epoch * 0.5, units: 'ms', mean_op_entropy: 0.5, arch_op_entropy_share: 0.4, valid_top1: null };
}
const jsonl = (recs: object[]) => recs.map((r) => JSON.stringify(r)).join('\n') + '\n';

/** A run directory; by default three epochs, arch phases from epoch 1, validation in epoch 2. */
function writeRunDir(name: string, netType: 'mbv2' | 'res' = 'mbv2', epochs = 3, phases = (e: number) => ['arch', 'weight', 'valid'].filter((p) => p === 'weight' || (p === 'arch' && e >= 1) || (p === 'valid' && e >= 2))): string {
  const run = join(dir, name);
  mkdirSync(run, { recursive: true });
  writeFileSync(join(run, 'config.yaml'), tinyYaml(netType));
  const space = buildSpace(loadConfig([join(run, 'config.yaml')]));
  const metrics: object[] = [], arch: object[] = [];
  const [nHead, nStack] = netType === 'mbv2' ? [3, 3] : [1, 2];
  for (let e = 0; e < epochs; e++) {
    metrics.push({ kind: 'step', epoch: e, phase: 'weight', step: 1, loss: 2.3, top1: 10, top5: 50, cost: 1, lr: 0.1 });
    for (const p of phases(e)) metrics.push(phaseLine(e, p, 2.3 - 0.1 * e, 10 + 5 * e));
    arch.push(archLine(e, nHead, nStack));
    metrics.push(epochLine(e, e === 1 ? null : 4 - e, space, archParamsFromJson(JSON.stringify(arch[e]), space, 'fixture')));
  }
  writeFileSync(join(run, 'metrics.jsonl'), jsonl(metrics));
  writeFileSync(join(run, 'arch.jsonl'), jsonl(arch));
  return run;
}

/** Asserts that plotting the run fails with a message matching re. */
async function rejects(run: string, re: RegExp): Promise<void> {
  const err = await writeRunPlots(run).then(() => null, (e: Error) => e);
  assert.ok(err, `expected an error matching ${re}`);
  assert.match(err.message, re);
}

const softmax = (x: number[]) => { const m = Math.max(...x), e = x.map((v) => Math.exp(v - m)), s = e.reduce((a, b) => a + b, 0); return e.map((v) => v / s); };
const NAMES = ['supernet', 'arch_weights', 'curves'];

test('every plot is written as SVG and PNG; the PNG decodes to the SVG\'s declared size', async () => {
  const run = writeRunDir('full');
  const files = await writeRunPlots(run);
  assert.equal(files, NAMES.flatMap((n) => [join(run, 'plots', `${n}.svg`), join(run, 'plots', `${n}.png`)]));
  assert.equal(readdirSync(join(run, 'plots')).sort(), NAMES.flatMap((n) => [`${n}.png`, `${n}.svg`]).sort(), 'no temporary files left');
  for (const n of NAMES) {
    const svg = svgOf(join(run, 'plots', `${n}.svg`));
    assert.is(svg.tag, 'svg');
    assert.is(svg.attrs['font-family'], 'sans-serif');
    assert.ok(svg.children.find((c) => c.tag === 'title')?.text, `${n} has a title`);
    const meta = await sharp(join(run, 'plots', `${n}.png`)).metadata();
    assert.is(meta.format, 'png');
    assert.is(meta.width, Number(svg.attrs.width), `${n}.png width`);
    assert.is(meta.height, Number(svg.attrs.height), `${n}.png height`);
  }
  const out = join(dir, 'elsewhere');
  assert.equal(await writeRunPlots(run, out), files.map((f) => f.replace(join(run, 'plots'), out)));
});

test('the supernet has one edge element per edge, at its softmax probability, and highlights exactly the derived path', async () => {
  const run = writeRunDir('supernet');
  await writeRunPlots(run);
  const space = buildSpace(loadConfig([join(run, 'config.yaml')]));
  assert.is(spaceCounts(space).betaScalars, 10);
  const edges = all(svgOf(join(run, 'plots', 'supernet.svg'))).filter((e) => hasClass(e, 'edge'));
  assert.is(edges.length, 10);
  const last = archLine(2, 3, 3);
  const want = SUCC.flatMap((outs, m) => { const p = softmax(last.betas[m]); return outs.map((s, j) => `${m}>${s}:${p[j].toFixed(4)}`); });
  assert.equal(edges.map((e) => `${e.attrs['data-from']}>${e.attrs['data-to']}:${e.attrs['data-p']}`).sort(), want.sort());
  const hot = edges.filter((e) => hasClass(e, 'on-path')).map((e) => `${e.attrs['data-from']}>${e.attrs['data-to']}`).sort();
  assert.equal(hot, ['0>2', '2>4', '4>5']);
  assert.equal(derivePath(space, readRun(run).arch[2].params.betas), PATH, 'the project derives the same path');
  // ops on the path: node 2 head k5 t6 with stack layer 1 k3t3 (layer 2 skipped), node 4 head k7 t6 with k5t3
  const labels = all(svgOf(join(run, 'plots', 'supernet.svg'))).filter((e) => hasClass(e, 'op-label')).map((e) => e.text);
  assert.equal(labels, ['stem', 'k5 t6', 'k3t3', 'k7 t6', 'k5t3', 'conv1_1']);
});

test('the supernet highlights the architecture the search recorded, as a cost target makes it other than the Viterbi one', async () => {
  const run = writeRunDir('recorded');
  const space = buildSpace(loadConfig([join(run, 'config.yaml')]));
  // record for the last epoch the architecture of weights that favour 0 -> 2 -> 3 -> 5 instead
  const other = archParamsFromJson(JSON.stringify(archLine(2, 3, 3)), space, 'fixture');
  other.betas[2].set([9, 0]);   // 2 -> 3
  other.betas[3].set([0, 9]);   // 3 -> 5
  const lines = readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n');
  lines[lines.length - 1] = JSON.stringify({ ...epochLine(2, 2, space, other), derivation: 'in_band' });
  writeFileSync(join(run, 'metrics.jsonl'), lines.join('\n') + '\n');
  await writeRunPlots(run);
  const hot = all(svgOf(join(run, 'plots', 'supernet.svg'))).filter((e) => hasClass(e, 'edge') && hasClass(e, 'on-path')).map((e) => `${e.attrs['data-from']}>${e.attrs['data-to']}`).sort();
  assert.equal(hot, ['0>2', '2>3', '3>5']);
  assert.match(readFileSync(join(run, 'plots', 'supernet.svg'), 'utf8'), 'the most probable architecture within the cost target');
  const rows = all(svgOf(join(run, 'plots', 'arch_weights.svg'))).filter((l) => hasClass(l, 'on-path')).map((l) => l.attrs['data-label']);
  assert.equal(rows, ['0→2', '2→3', '3→5']);
});

test('curves have one point per epoch of each phase, and the arch weights one line per edge and one area per op', async () => {
  const run = writeRunDir('curves');
  await writeRunPlots(run);
  const curves = all(svgOf(join(run, 'plots', 'curves.svg'))).filter((e) => e.tag === 'polyline' && hasClass(e, 'curve'));
  const count = (label: string) => curves.filter((c) => c.attrs['data-label'] === label).map((c) => c.attrs.points.split(' ').length);
  assert.equal(count('weight top1'), [3]);
  assert.equal(count('weight loss'), [3]);
  assert.equal(count('arch top1'), [2]);
  assert.equal(count('valid loss'), [1]);
  assert.equal(count('expected cost'), [3]);
  assert.equal(count('derived table cost'), [2], 'epoch 1 has no table cost');
  const aw = all(svgOf(join(run, 'plots', 'arch_weights.svg')));
  const lines = aw.filter((e) => e.tag === 'polyline' && hasClass(e, 'edge-prob'));
  assert.is(lines.length, 10);
  for (const l of lines) assert.is(l.attrs.points.split(' ').length, 3);
  assert.equal(lines.filter((l) => hasClass(l, 'on-path')).map((l) => l.attrs['data-label']), ['0→2', '2→4', '4→5']);
  // path blocks 2 (head + 2 stack layers) and 4 (head + 1 stack layer), three ops each
  assert.is(aw.filter((e) => hasClass(e, 'op-area')).length, 5 * 3);
});

test('a run in progress: one epoch, no arch or valid phase yet', async () => {
  const run = writeRunDir('early', 'mbv2', 1, () => ['weight']);
  const files = await writeRunPlots(run);
  assert.is(files.length, 6);
  const curves = all(svgOf(join(run, 'plots', 'curves.svg'))).filter((e) => e.tag === 'polyline' && hasClass(e, 'curve'));
  assert.equal(curves.map((c) => `${c.attrs['data-label']}:${c.attrs.points.split(' ').length}`), ['weight top1:1', 'weight loss:1', 'expected cost:1', 'derived table cost:1', 'op entropy, all rows:1', "op entropy, derived architecture's rows:1"]);
  assert.is(all(svgOf(join(run, 'plots', 'supernet.svg'))).filter((e) => hasClass(e, 'edge')).length, 10);
});

test('the ResNet space (one head op): plots drawn, head rows a single area', async () => {
  const run = writeRunDir('res', 'res');
  await writeRunPlots(run);
  const aw = all(svgOf(join(run, 'plots', 'arch_weights.svg'))).filter((e) => hasClass(e, 'op-area'));
  // heads of blocks 2 and 4: one op; stack layers (2 + 1): basic_block and skip_connect
  assert.is(aw.length, 2 * 1 + 3 * 2);
  const labels = all(svgOf(join(run, 'plots', 'supernet.svg'))).filter((e) => hasClass(e, 'op-label')).map((e) => e.text);
  // node 2: stack layer 1 favours op 0 (basic), layer 2 op 1 (skip); node 4: op 1 (skip)
  assert.equal(labels, ['stem', 'basic', 'basic', 'basic', 'no stack', 'conv1_1']);
});

test('a corrupt or missing metrics line, a bad field and a missing file each give an error naming the file and line', async () => {
  const run = writeRunDir('bad');
  const m = join(run, 'metrics.jsonl'), good = readFileSync(m, 'utf8').split('\n');
  writeFileSync(m, [...good.slice(0, 2), '{"kind":"phase","epoch":0,', ...good.slice(2)].join('\n'));
  await rejects(run, /metrics\.jsonl \S+metrics\.jsonl line 3: not a JSON object/);
  writeFileSync(m, [...good.slice(0, 3), JSON.stringify(phaseLine(1, 'train', 2, 10)), ...good.slice(3)].join('\n'));
  await rejects(run, /metrics\.jsonl \S+ line 4: field phase must be one of arch, weight, valid, got "train"/);
  const epoch0 = JSON.parse(good.find((l) => l.includes('"kind":"epoch"'))!);
  writeFileSync(m, [...good.slice(0, 4), JSON.stringify({ ...epoch0, expected_cost: 'soon' }), ...good.slice(4)].join('\n'));
  await rejects(run, /line 5: field expected_cost must be a number, got "soon"/);
  writeFileSync(m, [...good.slice(0, 4), JSON.stringify({ ...epoch0, arch: "[[8, 8], 'mbconv_k3_t1'" }), ...good.slice(4)].join('\n'));
  await rejects(run, /metrics\.jsonl \S+ line 5/);
  rmSync(m);
  await rejects(run, /metrics\.jsonl \S+metrics\.jsonl: no such file/);
  writeFileSync(m, good.join('\n'));
  writeFileSync(join(run, 'arch.jsonl'), jsonl([archLine(0, 3, 3), { ...archLine(1, 3, 3), betas: [[0, 1]] }]));
  await rejects(run, /arch\.jsonl line 2: betas must be a list of 5 entries/);
  writeFileSync(join(run, 'arch.jsonl'), '');
  await rejects(run, /arch\.jsonl \S+: no epoch has finished yet/);
  assert.not.ok(existsSync(join(run, 'plots')), 'nothing written for a bad run');
});

// A retrain run: epoch lines with known train/test numbers (and step lines to skip).
function writeRetrainDir(name: string, epochs: number, offset: number): string {
  const run = join(dir, name);
  mkdirSync(run, { recursive: true });
  writeFileSync(join(run, 'net_config.json'), '{}');
  const lines = Array.from({ length: epochs }, (_, e) => [
    { kind: 'step', epoch: e, step: 0, loss: 9, top1: 1, lr: 0.1 },
    { kind: 'epoch', epoch: e, lr: 0.1, train_loss: 1 - e / 10, train_top1: 50 + e + offset, test_loss: 0.9 - e / 10, test_top1: 60 + e + offset, test_top5: 99 },
  ]).flat();
  writeFileSync(join(run, 'metrics.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return run;
}

test('a retrain run gets its training curves; several runs compare on one figure', async () => {
  const a = writeRetrainDir('retrain-a', 4, 0), b = writeRetrainDir('retrain-b', 3, 5);
  assert.equal(await writeRunPlots(a), [join(a, 'plots', 'retrain_curves.svg'), join(a, 'plots', 'retrain_curves.png')]);
  const curve = (svg: string, label: string) => {
    const c = all(svgOf(svg)).filter((e) => e.tag === 'polyline' && e.attrs['data-label'] === label);
    assert.is(c.length, 2, `${label}: one line in each panel`);
    return c.map((l) => l.attrs.points.split(' ').map((p) => p.split(',').map(Number)));
  };
  const [top1] = curve(join(a, 'plots', 'retrain_curves.svg'), `${a} test`);
  assert.is(top1.length, 4);
  // test top-1 rises by 1 a epoch: equal steps on the y axis, upwards in SVG coordinates
  const dy = top1.slice(1).map((p, i) => p[1] - top1[i][1]);
  for (const d of dy) assert.ok(Math.abs(d - dy[0]) < 0.02 && d < 0, `steps ${dy}`);
  const out = join(dir, 'compare');
  const r = await runCli(['plot', '--run', a, b, '--label', 'searched', 'baseline', '--out', out]);
  assert.is(r.code, 0, r.stderr);
  const svg = join(out, 'retrain_curves.svg');
  for (const [label, n] of [['searched test', 4], ['searched train', 4], ['baseline test', 3], ['baseline train', 3]] as const) assert.is(curve(svg, label)[0].length, n);
  const noOut = await runCli(['plot', '--run', a, b]);
  assert.match(noOut.stderr, /--out is needed to compare several runs/);
  writeFileSync(join(b, 'metrics.jsonl'), JSON.stringify({ kind: 'epoch', epoch: 0, train_loss: 1, train_top1: 'x', test_loss: 1, test_top1: 1 }) + '\n');
  assert.match((await runCli(['plot', '--run', a, b, '--out', out])).stderr, /metrics\.jsonl \S+ line 1: field train_top1 must be a number, got "x"/);
});

// Retrain runs as a pareto plot needs them: a config, a net_config whose record names a supernet
// score, a cost table of its ops, a final line. Latency is summed here from the ops' entries.
const NETS = ['mbconv_k3_t3', 'mbconv_k5_t3', 'mbconv_k7_t6'].flatMap((op) => [16, 24].map((c) =>
  `[[8, 8], 'mbconv_k3_t1', [], 0, 1]|[[8, ${c}], '${op}', [], 0, 2]|[[${c}, 128], 'conv1_1']`));
function writeParetoRun(name: string, netText: string, top1: number, supernet?: number, supernetRun = '/runs/s'): { run: string; latency: number } {
  const run = join(dir, name), cfg = loadConfig([], ['data.input_size=[1,32,32]', 'train_params.num_classes=10', 'search_params.num_classes=10']);
  mkdirSync(run, { recursive: true });
  const net = parseNetConfigText(`${netText}\nnet_type: mbv2`);
  const entries: Record<string, number> = {};
  let latency = 0;
  for (const d of archOps(net, archShapeOf(cfg, 10, 8))) { const k = opKey(d); entries[k] ??= 1 + ((k.length * 7) % 5); latency += entries[k]; }
  writeFileSync(join(run, 'cost_table.json'), JSON.stringify({ format: 'densenas-cost-table/1', kind: 'latency', units: 'ms', device: 'test', batch: 8, entries }));
  writeFileSync(join(run, 'config.yaml'), `net_type: mbv2\ntrain_params:\n    num_classes: 10\nsearch_params:\n    num_classes: 10\ndata:\n    input_size: [1, 32, 32]\n`);
  const origin = supernet === undefined ? {} : { origin: { supernet_top1: supernet, supernet_run: supernetRun } };
  writeFileSync(join(run, 'net_config.json'), JSON.stringify({ ...JSON.parse(netConfigToJson(net)), ...origin }));
  writeFileSync(join(run, 'metrics.jsonl'), jsonl([{ kind: 'epoch', epoch: 0, test_top1: top1 - 1 }, { kind: 'final', epoch: 1, val_top1: top1 + 0.5, test_top1: top1, test_top5: 99 }]));
  return { run, latency };
}

test('plot --pareto: one point per run at its table latency and test top-1, label means and spreads, Kendall tau of supernet scores', async () => {
  const rnd = [[80, 50], [82, 55], [81, 60], [85, 70]].map(([t, sn], i) => writeParetoRun(`pareto-r${i}`, NETS[i], t, sn));
  // the searched architecture with two seeds: one pair for the ranking, at their mean (86.5)
  const srch = [86, 87].map((t, i) => writeParetoRun(`pareto-s${i}`, NETS[4], t, 75)), base = writeParetoRun('pareto-b', NETS[5], 83, 60, '/runs/other');
  const other = writeParetoRun('pareto-o', NETS[0], 79, 40, '/runs/other');
  const runs = [...rnd, ...srch, base, other], tops = [80, 82, 81, 85, 86, 87, 83, 79];
  const out = join(dir, 'pareto');
  const r = await runCli(['plot', '--pareto', '--run', ...runs.map((x) => x.run), '--label', 'random', 'random', 'random', 'random', 'searched', 'searched', 'baseline', 'other', '--out', out, '--json']);
  assert.is(r.code, 0, r.stderr);
  const res = JSON.parse(r.stdout);
  const rt = tops.slice(0, 4), m = rt.reduce((a, b) => a + b) / 4, sd = Math.sqrt(rt.reduce((a, t) => a + (t - m) ** 2, 0) / 3);
  const g = res.groups.find((x: any) => x.label === 'random');
  assert.ok(Math.abs(g.test_top1.mean - m) < 1e-9 && Math.abs(g.test_top1.std - sd) < 1e-9, JSON.stringify(g));
  assert.equal([g.n, g.test_top1.min, g.test_top1.max], [4, 80, 85]);
  // supernet 50 55 60 70 75 against retrained 80 82 81 85 86.5: one discordant pair (55/82, 60/81) of 10;
  // another supernet scored two architectures, whose tau (+1 or -1) ranks nothing
  assert.equal(res.ranking.map((q: any) => [q.n, q.tau]), [[5, (9 - 1) / 10]]);
  const marks = all(svgOf(join(out, 'pareto.svg'))).filter((e) => hasClass(e, 'point'));
  assert.is(marks.length, runs.length);
  // SVG x grows with latency, y falls as top-1 rises
  for (const a of runs.keys()) for (const b of runs.keys()) {
    const [ca, cb] = [marks[a], marks[b]].map((c) => [Number(c.attrs['data-x']), Number(c.attrs['data-y'])]);
    if (runs[a].latency < runs[b].latency) assert.ok(ca[0] < cb[0], `x order of runs ${a} and ${b}`);
    if (tops[a] < tops[b]) assert.ok(ca[1] > cb[1], `y order of runs ${a} and ${b}`);
  }
  assert.ok(existsSync(join(out, 'pareto.png')) && existsSync(join(out, 'pareto.json')));
  rmSync(join(base.run, 'cost_table.json'));
  assert.match((await runCli(['plot', '--pareto', '--run', base.run, '--out', out])).stderr, /pareto-b: no cost_table\.json \(retrain it with --table\)/);
});

test('plot --pareto: more groups than colours still differ, by marker shape, on the points and in the legend', async () => {
  const labels = Array.from({ length: 11 }, (_, i) => `group${i}`);
  const runs = labels.map((l, i) => writeParetoRun(`pareto-g${i}`, NETS[i % NETS.length], 80 + i).run);
  const out = join(dir, 'pareto-groups');
  const r = await runCli(['plot', '--pareto', '--run', ...runs, '--label', ...labels, '--out', out]);
  assert.is(r.code, 0, r.stderr);
  const elems = all(svgOf(join(out, 'pareto.svg')));
  const marks = elems.filter((e) => hasClass(e, 'point'));
  const look = (e: XmlEl) => `${e.tag} ${e.attrs.fill}`;
  assert.is(new Set(marks.map(look)).size, labels.length, 'one look per group');
  for (const [i, m] of marks.entries()) assert.is(m.attrs['data-label'], labels[i]);
  // the legend draws each group's look once
  const legend = all(elems.find((e) => hasClass(e, 'legend'))!).filter((e) => ['circle', 'rect', 'polygon'].includes(e.tag));
  assert.equal(legend.map(look).sort(), marks.map(look).sort());
});

test('densenas plot --run RUN --out DIR, and its error for a directory that is not a run', async () => {
  const run = writeRunDir('cli'), out = join(dir, 'cli-plots');
  const r = await runCli(['plot', '--run', run, '--out', out]);
  assert.is(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n'), NAMES.flatMap((n) => [join(out, `${n}.svg`), join(out, `${n}.png`)]));
  const bad = await runCli(['plot', '--run', join(dir, 'nowhere')]);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /nowhere is not a search run directory: it has no config\.yaml/);
});

test.run();
