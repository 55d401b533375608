// A retrain as a hostile user runs it: a second process into a run in use is refused; after
// SIGKILL the dead owner's lock is taken over; a resume with another batch size, other data,
// another table or a damaged checkpoint state is refused naming what differs; a metrics log cut
// mid-line resumes without joining lines; the best epoch is chosen on the validation split and
// its test accuracy reported once; a diverging run (lr 1e30) stops with exit 1 and a message,
// writing no NaN weights, after a fresh start that emptied a stale log.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors } from '../../engine/checkpoint.js';
import { readCheckpoint } from '../../nas/run_dir.js';
import { runCli, tempDir, type CliResult } from '../cli.js';
import { config, QUICK_CFG } from '../nas/paths.js';

const dir = tempDir('rel-runs');
test.after(() => rmSync(dir, { recursive: true, force: true }));
const data = join(dir, 'fmnist'), small = join(dir, 'small'), netFile = join(dir, 'net.json');
const tiny = ['data.input_size=[1,16,16]', 'data.limit=256', 'data.batch_size=32', 'train_params.epochs=3', 'search_params.log_every=2', 'optim.init_lr=0.05'];
const retrain = (out: string, extra: string[] = [], sets = tiny, images = data) =>
  ['retrain', '--net-config', netFile, '--config', config('fmnist_retrain_quick.yaml'), '--data', images, '--out', out, ...sets.flatMap((s) => ['--set', s]), ...extra];
const ok = (r: CliResult, what: string) => assert.is(r.code, 0, `${what} failed: ${r.stderr}`);
const refused = (r: CliResult, what: string, msg: RegExp) => {
  assert.is(r.code, 1, `${what}: exit ${r.code}: ${r.stderr}`);
  assert.match(r.stderr, msg, what);
};
const lines = (run: string) => readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

test('data: two slices of Fashion-MNIST and a tiny net', async () => {
  ok(await runCli(['data', 'fashion-mnist', '--out', data, '--format', 'lmdb', '--limit', '320']), 'import');
  ok(await runCli(['data', 'fashion-mnist', '--out', small, '--format', 'lmdb', '--limit', '100']), 'import');
  writeFileSync(netFile, JSON.stringify({ net_type: 'mbv2', net_config: [[[8, 8], 'mbconv_k3_t1', [], 0, 1], [[8, 16], 'mbconv_k3_t3', [], 0, 2], [[16, 32], 'conv1_1']] }));
});

test('a run in use is refused to a second process; after SIGKILL a resume must match the run\'s inputs', async () => {
  const run = join(dir, 'run');
  let second: CliResult | undefined;
  // --verbose: one process, so that SIGSTOP holds the lock's owner (otherwise the command runs in
  // a worker behind the filter of Dawn's warnings, engine/quiet.ts, which a SIGSTOP does not reach)
  const first = await runCli(retrain(run, ['--verbose']), (child) => {
    let busy = false;
    const timer = setInterval(async () => {
      const m = join(run, 'metrics.jsonl');
      if (busy || !existsSync(join(run, 'checkpoint.safetensors')) || !existsSync(m) || !/"kind":"step","epoch":1,/.test(readFileSync(m, 'utf8'))) return;
      busy = true;
      clearInterval(timer);
      child.kill('SIGSTOP');   // hold it mid-epoch while the second process tries
      second = await runCli(retrain(run, ['--resume']));
      child.kill('SIGKILL');
    }, 20);
    child.on('close', () => clearInterval(timer));
  });
  assert.is(first.signal, 'SIGKILL');
  refused(second!, 'a second retrain into a run in use', new RegExp(`is in use by process \\d+ \\(${run}/run\\.lock\\)`));
  assert.ok(existsSync(join(run, 'run.lock')), 'the killed owner left its lock');

  const batch = await runCli(retrain(run, ['--resume'], [...tiny, 'data.batch_size=16']));
  refused(batch, 'another batch size', /config data\.batch_size: 16, the run has 32/);
  assert.match(batch.stderr, /taking over the lock of process \d+, which is no longer running/);
  refused(await runCli(retrain(run, ['--resume'], tiny, small)), 'other data', /train data: 100 images in 10 classes at .*small.*, the run has 320 images/);
  const table = join(dir, 'table.json');
  writeFileSync(table, JSON.stringify({ format: 'densenas-cost-table/1', kind: 'latency', units: 'ms', device: 'x', batch: 32, entries: { 'classifier|cin=32|cout=10|in=1|s=1|b=32': 0.1 } }));
  refused(await runCli(retrain(run, ['--resume', '--table', table])), 'another table', /cost table: content [0-9a-f]+, the run has none/);

  // A checkpoint whose state says epoch -5 (checksum intact: the state is in the header).
  const bad = join(dir, 'bad-state');
  cpSync(run, bad, { recursive: true });
  const ckpt = join(bad, 'checkpoint.safetensors'), { tensors, metadata } = readSafetensors(ckpt);
  const state = JSON.parse(metadata.state);
  state.loop.retrain.pos.epoch = -5;
  writeSafetensors(ckpt, tensors, { state: JSON.stringify(state) });
  refused(await runCli(retrain(bad, ['--resume'])), 'a damaged state', /checkpoint\.safetensors: corrupt state: pos\.epoch is -5/);

  // The log cut inside its last recorded line: the resume continues on a line of its own.
  const recorded = readCheckpoint(join(run, 'checkpoint.safetensors')).state.logSizes['metrics.jsonl'];
  truncateSync(join(run, 'metrics.jsonl'), recorded - 5);
  const resumed = await runCli(retrain(run, ['--resume']));
  ok(resumed, 'resume with the run\'s own inputs');
  assert.match(resumed.stderr, /metrics\.jsonl: \d+ bytes shorter than the checkpoint recorded/);
  const all = lines(run);   // every line parses: none was glued onto the cut one
  const epochs = all.filter((l) => l.kind === 'epoch');
  assert.equal(epochs.map((e) => e.epoch), [1, 2], 'the cut took the line of epoch 0 (as reported); the others are whole');
  assert.not.ok(existsSync(join(run, 'run.lock')), 'the lock is released at the end');

  // best/ is the epoch of best validation top-1; the test top-1 of that epoch is the one reported.
  const best = JSON.parse(readFileSync(join(run, 'best/net_config.json'), 'utf8'));
  for (const e of epochs) assert.ok(best.val_top1 >= e.val_top1, `best validation top-1 ${best.val_top1} below epoch ${e.epoch}'s ${e.val_top1}`);
  const chosen = epochs.find((e) => e.epoch === best.epoch);
  if (chosen) assert.equal([best.val_top1, best.test_top1], [chosen.val_top1, chosen.test_top1]);
  assert.equal(all.filter((l) => l.kind === 'final'), [{ kind: 'final', epoch: best.epoch, val_top1: best.val_top1, test_top1: best.test_top1, test_top5: best.test_top5 }]);
  assert.match(resumed.stdout, new RegExp(`best epoch ${best.epoch} by validation top-1 ${best.val_top1.toFixed(2)}; final test top-1 ${best.test_top1.toFixed(2)}`));
});

test('a diverging retrain stops with exit 1 naming the epoch and batch, writes no weights, after emptying a stale log', async () => {
  const run = join(dir, 'diverge');
  mkdirSync(run);
  writeFileSync(join(run, 'metrics.jsonl'), '{"kind":"stale"}\n');
  const r = await runCli(retrain(run, [], [...tiny, 'optim.init_lr=1e30', 'train_params.epochs=1']));
  refused(r, 'lr 1e30', /retrain .*diverge: the training loss is (NaN|Infinity|-Infinity) at epoch 0, train batch \d+; stopped, keeping the last checkpoint and best\//);
  assert.not.ok(existsSync(join(run, 'best/model.safetensors')), 'no best weights from a diverged model');
  assert.not.ok(existsSync(join(run, 'checkpoint.safetensors')), 'no checkpoint of a diverged model');
  const log = join(run, 'metrics.jsonl');
  assert.ok(!existsSync(log) || !readFileSync(log, 'utf8').includes('stale'), 'the stale line went with the fresh start');
  assert.not.ok(existsSync(join(run, 'run.lock')), 'the lock is released on the error');
  assert.ok(statSync(join(run, 'config.yaml')).size > 0);
});

test('a diverging search stops with exit 1 naming the phase; a second search into a run in use is refused', async () => {
  const run = join(dir, 'search');
  const sets = ['data.input_size=[1,16,16]', 'search_params.net_scale.stem_stride=1', 'search_params.net_scale.fm_sizes=[16,8,8,4,4,4]', 'data.limit=320',
    'data.batch_size=32', 'train_params.epochs=1', 'search_params.arch_update_epoch=1', 'search_params.val_start_epoch=1', 'optim.sub_obj.type=flops', 'optim.weight.init_lr=1e30'];
  const search = ['search', '--config', QUICK_CFG, '--data', data, '--out', run, ...sets.flatMap((x) => ['--set', x])];
  let second: CliResult | undefined;
  const r = await runCli([...search, '--verbose'], (child) => {   // one process, as above
    const timer = setInterval(async () => {
      if (second || !existsSync(join(run, 'run.lock'))) return;
      clearInterval(timer);
      child.kill('SIGSTOP');
      second = await runCli(search);
      child.kill('SIGCONT');
    }, 20);
    child.on('close', () => clearInterval(timer));
  });
  refused(second!, 'a second search into a run in use', /is in use by process \d+/);
  refused(r, 'a search at lr 1e30', /search .*search: the loss is (NaN|Infinity|-Infinity) at epoch 0, weight batch \d+; stopped/);
  assert.not.ok(existsSync(join(run, 'checkpoint.safetensors')), 'no checkpoint of a diverged supernet');
  assert.not.ok(existsSync(join(run, 'run.lock')), 'the lock is released on the error');
});

test.run();
