// Config loading: the original values (spec 1.1, 3.5, 4.3, 6), layering, overrides, and the
// errors for unknown keys, wrong types and out-of-range values.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyOverride, defaultConfig, loadConfig, writeConfig } from '../../nas/config.js';
import { MBV2_CFG, RES_CFG, config } from './paths.js';

const dir = mkdtempSync(join(tmpdir(), 'densenas-config-'));
const yamlFile = (text: string) => {
  const p = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(p, text);
  return p;
};

test('mbv2 config resolves to the original values', () => {
  const c = loadConfig([MBV2_CFG]);
  assert.is(c.net_type, 'mbv2');
  assert.equal(c.search_params.net_scale.chs, [16, 24, 32, 40, 48, 56, 64, 72, 96, 112, 128, 160, 176, 192, 320, 352, 384]);
  assert.equal(c.search_params.adjoin_connect_nums, [4, 4, 4, 4, 4, 4, 4]);
  assert.equal([c.optim.sub_obj.sub_loss_factor, c.optim.sub_obj.log_base, c.optim.sub_obj.type], [0.15, 15, 'latency']);
  assert.equal([c.train_params.epochs, c.search_params.arch_update_epoch, c.search_params.val_start_epoch], [150, 50, 120]);
  assert.equal(c.data.input_size, [3, 224, 224]);   // written "(3,224,224)" in the file
  assert.is(c.data.batch_size, 352);
  // Keys the search YAML does not set keep the train config's values (spec 1.1, 4.3).
  assert.is(c.optim.min_lr, 1e-5);
  assert.is(c.optim.weight.min_lr, 1e-4);
  // New keys default to the consistent choices.
  assert.is(c.optim.last_node_double_softmax, false);
  assert.is(c.optim.sub_obj.expect_over, 'all');
  assert.is(c.search_params.num_classes, 100);
});

test('resnet config resolves to the original values', () => {
  const c = loadConfig([RES_CFG]);
  assert.equal([c.net_type, c.search_params.softmax_temp, c.optim.sub_obj.type, c.optim.sub_obj.skip_reg, c.optim.sub_obj.log_base], ['res', 0.9, 'flops', true, 3500]);
  assert.equal(c.search_params.PRIMITIVES_stack, ['basic_block', 'skip_connect']);
  assert.equal([c.optim.last_dim, c.optim.init_dim, c.data.batch_size, c.train_params.epochs], [512, 32, 512, 70]);
});

test('train and validation settings of spec 6', () => {
  const t = loadConfig([config('imagenet_train_cfg.yaml')]);
  assert.equal([t.train_params.epochs, t.train_params.seed, t.data.batch_size, t.optim.init_lr, t.optim.min_lr], [240, 0, 1024, 0.5, 1e-5]);
  assert.equal([t.optim.momentum, t.optim.nesterov, t.optim.weight_decay, t.optim.label_smooth, t.optim.smooth_alpha], [0.9, false, 4e-5, true, 0.1]);
  const v = loadConfig([config('imagenet_val_cfg.yaml')]);
  assert.equal([v.data.batch_size, v.data.val_data_type], [1024, 'lmdb']);
});

test('overrides by dotted key are typed by the schema', () => {
  const c = loadConfig([MBV2_CFG], ['optim.sub_obj.sub_loss_factor=0.2', 'optim.sub_obj.target=18.5', 'search_params.net_scale.stem_stride=1', 'optim.sub_obj.expect_over=sampled']);
  assert.equal([c.optim.sub_obj.sub_loss_factor, c.optim.sub_obj.target, c.search_params.net_scale.stem_stride, c.optim.sub_obj.expect_over], [0.2, 18.5, 1, 'sampled']);
  applyOverride(c, 'optim.sub_obj.target=null');
  assert.is(c.optim.sub_obj.target, null);
});

const errs: [string, () => unknown, string][] = [
  ['unknown key in a file names the line', () => loadConfig([yamlFile('optim:\n  weight:\n    init_lr: 0.1\n    warmup: 3\n')]), 'line 4: key optim.weight.warmup: unknown key'],
  ['unknown key in --set', () => loadConfig([], ['optim.sub_obj.lambda=1']), '--set optim.sub_obj.lambda=1: key optim.sub_obj.lambda: unknown key'],
  ['wrong type', () => loadConfig([yamlFile('train_params:\n  epochs: many\n')]), "line 2: key train_params.epochs: expected an integer >= 1, got 'many'"],
  ['integer expected', () => loadConfig([], ['data.batch_size=3.5']), 'key data.batch_size: expected an integer >= 1, got 3.5'],
  ['out of range', () => loadConfig([], ['optim.sub_obj.log_base=1']), 'key optim.sub_obj.log_base: expected a number > 1, got 1'],
  ['stem stride 1 or 2', () => loadConfig([], ['search_params.net_scale.stem_stride=3']), 'key search_params.net_scale.stem_stride: expected an integer >= 1 and <= 2, got 3'],
  ['enum', () => loadConfig([], ['optim.sub_obj.type=energy']), "key optim.sub_obj.type: expected one of latency, flops, got 'energy'"],
  ['list item', () => loadConfig([], ['search_params.net_scale.chs=[16,-24]']), 'key search_params.net_scale.chs: index 1: expected an integer >= 1, got -24'],
  ['mapping expected', () => loadConfig([yamlFile('optim: 3\n')]), 'line 1: key optim: expected a mapping'],
  ['input size shape', () => loadConfig([], ['data.input_size=(3,224)']), "key data.input_size: expected (C,H,W) or [C, H, W] of positive integers, got '(3,224)'"],
  ['missing file', () => loadConfig([join(dir, 'nope.yaml')]), `config ${join(dir, 'nope.yaml')}: no such file`],
  ['YAML syntax', () => loadConfig([yamlFile('a: [1, 2\n')]), 'config '],
];
for (const [name, f, msg] of errs) {
  test(`error: ${name}`, () => {
    assert.throws(f, (e: Error) => e.message.includes(msg) || (console.log(e.message), false));
  });
}

test('resolved config is written out and reads back equal', () => {
  const c = loadConfig([RES_CFG], ['optim.sub_obj.target=3000']);
  const p = join(dir, 'resolved.yaml');
  writeConfig(p, c);
  assert.equal(loadConfig([p]), c);
  assert.not.equal(loadConfig([p]), defaultConfig());
});

test.run();
