// Bad input found before any GPU work, with a message that names the file and the key: NaN and
// Infinity in configs and tables (reported as such, not as "null"), a YAML alias bomb, a
// normalisation of the wrong length, cost tables that are not finite and positive, net_configs
// nested too deep, with text after the net_type line or with absurd widths, exported-model
// metadata, numeric command-line options, and an export into the run it reads.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultConfig, loadConfig, mergeYamlText } from '../../nas/config.js';
import { checkCostTable } from '../../nas/cost_table.js';
import { checkFoldedMeta, FOLDED_FORMAT } from '../../nas/export.js';
import { parseNetConfigJson, parseNetConfigText } from '../../nas/net_config.js';
import { runCli, tempDir } from '../cli.js';

const dir = tempDir('rel-inputs');
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('NaN and Infinity in a config are reported as NaN and Infinity with the file, line and key', () => {
  assert.throws(() => mergeYamlText(defaultConfig(), 'optim:\n  init_lr: .nan\n', 'a.yaml'), /config a\.yaml line 2: key optim\.init_lr: expected a number >= 0, got NaN/);
  assert.throws(() => mergeYamlText(defaultConfig(), 'optim:\n  min_lr: 1e400\n', 'b.yaml'), /key optim\.min_lr: expected a number >= 0, got Infinity/);
});

test('a YAML alias bomb is refused with the file named', () => {
  const levels = ['a: &a [x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 9; i++) levels.push(`l${i}: &l${i} [${Array(9).fill(i === 1 ? '*a' : `*l${i - 1}`).join(', ')}]`);
  const file = join(dir, 'bomb.yaml');
  writeFileSync(file, levels.join('\n') + '\n');
  assert.throws(() => loadConfig([file]), new RegExp(`config ${file}: .*alias`, 'i'));
});

test('data.mean and data.std of the wrong length, and a batch too large to allocate, are refused when the config loads', () => {
  const file = join(dir, 'mean.yaml');
  writeFileSync(file, 'data:\n  input_size: [3, 32, 32]\n  mean: []\n');
  assert.throws(() => loadConfig([file]), /mean\.yaml.*key data\.mean has 0 values, data\.input_size has 3 channel/);
  assert.throws(() => loadConfig([], ['data.std=[0.2, 0.3]']), /--set data\.std=.*key data\.std has 2 values, data\.input_size has 3 channel/);
  loadConfig([], ['data.input_size=[1,28,28]', 'data.mean=[0.5]', 'data.std=[0.5]']);
  assert.throws(() => loadConfig([], ['data.input_size=[3,100000,100000]']), /keys data\.batch_size and data\.input_size: a batch of 1024 images of 3x100000x100000 is .* floats, more than/);
});

const table = (o: Record<string, unknown> = {}) => ({
  format: 'densenas-cost-table/1', kind: 'latency', units: 'ms', device: 'test', batch: 32,
  entries: { 'classifier|cin=16|cout=10|in=1|s=1|b=32': 0.5 }, ...o,
});

test('every number of a cost table is finite, the calibration positive, and not every entry 0', () => {
  checkCostTable(table(), 't.json');
  const big = JSON.parse(JSON.stringify(table()).replace('"batch":32,"entries"', '"calibration":{"scale":1e400,"ratios":[1]},"batch":32,"entries"'));
  assert.throws(() => checkCostTable(big, 't.json'), /cost table t\.json: field calibration\.scale: expected a finite number > 0, got Infinity/);
  assert.throws(() => checkCostTable(table({ calibration: { scale: 1, ratios: [0] } }), 't.json'), /calibration\.ratios\[0\]/);
  assert.throws(() => checkCostTable(table({ calibration: { scale: 1e300, ratios: [1] }, entries: { 'classifier|cin=16|cout=10|in=1|s=1|b=32': 1e10 } }), 't.json'), /times calibration\.scale .* is not finite/);
  const inf = JSON.parse('{"classifier|cin=16|cout=10|in=1|s=1|b=32": 1e999}');
  assert.throws(() => checkCostTable(table({ entries: inf }), 't.json'), /expected a finite number >= 0, got Infinity/);
  assert.throws(() => checkCostTable(table({ entries: { 'classifier|cin=16|cout=10|in=1|s=1|b=32': 0 } }), 't.json'), /every entry is 0/);
});

const NET = "[[16, 16], 'mbconv_k3_t1', [], 0, 1]|[[16, 24], 'mbconv_k3_t6', [], 0, 2]|[[24, 64], 'conv1_1']\nnet_type: mbv2\n";

test('a net_config nested too deep, with text after net_type, or with absurd widths is refused naming the line', () => {
  parseNetConfigText(NET, 'n');
  assert.throws(() => parseNetConfigText('['.repeat(200000) + '\nnet_type: mbv2\n', 'deep'), /deep line 1: lists nested deeper than 16 levels/);
  assert.throws(() => parseNetConfigJson(`{"net_type": "mbv2", "net_config": ${'['.repeat(50000)}}`, 'deep.json'), /deep\.json line 1: lists nested deeper/);
  assert.throws(() => parseNetConfigText(NET + 'extra text\n', 'tail'), /tail line 3: unexpected text after the net_type line: 'extra text'/);
  assert.throws(() => parseNetConfigText(NET.replace('[24, 64]', '[24, 1000000000]'), 'wide'), /wide line 1: entry 2, field 0 \(channels \[C_in, C_out\]\): 1000000000 channels is more than 65536/);
});

test('exported-model metadata is validated naming net_config.json and the field', () => {
  const meta = { format: FOLDED_FORMAT, folded: true, net_type: 'mbv2', input_shape: [1, 32, 32], classes: 10, mean: [0.3], std: [0.4], stem_stride: 2, table_classes: 10 };
  checkFoldedMeta(meta, 'm/net_config.json');
  for (const [k, v, want] of [['mean', [], /field mean must be a list of one finite number/], ['std', [0], /field std must be/], ['input_shape', [1, 32], /field input_shape must be/],
    ['classes', 0, /field classes must be a positive integer, got 0/], ['stem_stride', 3, /field stem_stride must be 1 or 2/]] as const) {
    assert.throws(() => checkFoldedMeta({ ...meta, [k]: v }, 'm/net_config.json'), new RegExp(`m/net_config\\.json: ${(want as RegExp).source}`));
  }
});

test('numeric options are validated: --runs 0, --size 0 or 2.5, --batch abc', async () => {
  for (const [args, msg] of [
    [['validate', '--run', dir, '--data', dir, '--runs', '0'], /--runs must be an integer >= 1, got 0/],
    [['lut', 'check', '--config', 'c', '--table', 't', '--net-config', 'n', '--runs', '0'], /--runs must be an integer >= 1, got 0/],
    [['data', 'read', '--data', dir, '--size', '0'], /--size must be an integer >= 1, got 0/],
    [['data', 'read', '--data', dir, '--size', '2.5'], /--size must be an integer >= 1, got 2\.5/],
    [['data', 'read', '--data', dir, '--batch', 'abc'], /--batch must be an integer >= 1, got NaN/],
  ] as const) {
    const r = await runCli([...args]);
    assert.is(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, msg as RegExp);
  }
});

test('export into the run it reads, or into another run, is refused', async () => {
  const run = join(dir, 'run'), other = join(dir, 'other');
  for (const d of [run, other]) {
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'config.yaml'), 'net_type: mbv2\n');
    writeFileSync(join(d, 'net_config.json'), JSON.stringify({ net_type: 'mbv2', net_config: [] }));
  }
  const same = await runCli(['export', '--run', run, '--out', run + '/']);
  assert.is(same.code, 1);
  assert.match(same.stderr, /is the run directory itself: export into a folder of its own/);
  const into = await runCli(['export', '--run', run, '--out', other]);
  assert.is(into.code, 1);
  assert.match(into.stderr, /holds a run \(config\.yaml, net_config\.json\)/);
});

test.run();
