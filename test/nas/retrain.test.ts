// Retrain and validate as a user runs them, on a slice of real Fashion-MNIST at 16x16: a tiny
// derived net whose loss falls under the configured cosine schedule, a run killed with SIGKILL
// mid-epoch and resumed that ends exactly as an uninterrupted one, validate's JSON against a
// recomputation from the saved weights, and clear errors for a missing run, a run without weights
// and a corrupt weights file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTensors } from '../../engine/checkpoint.js';
import { Random } from '../../engine/random.js';
import { noGradAsync, Tensor, tidyAsync } from '../../engine/tensor.js';
import { summarizeArch } from '../../nas/arch_summary.js';
import { loadConfig } from '../../nas/config.js';
import { derivedFor } from '../../nas/derived.js';
import { readNetConfig } from '../../nas/net_config.js';
import { evalConfig } from '../../nas/data/augment.js';
import { openDataset } from '../../nas/data/dataset.js';
import { Loader } from '../../nas/data/loader.js';
import { runCli, tempDir } from '../cli.js';
import { engine } from '../helpers.js';
import { config } from './paths.js';

const dir = tempDir('retrain');
test.after(() => rmSync(dir, { recursive: true, force: true }));
const data = join(dir, 'fmnist'), netFile = join(dir, 'net.json');
const CFG = config('fmnist_retrain_quick.yaml');
// 256 training images of 16x16 in batches of 32: 8 steps an epoch.
const tiny = ['data.input_size=[1,16,16]', 'data.limit=256', 'data.batch_size=32', 'train_params.epochs=3', 'search_params.log_every=2', 'optim.init_lr=0.05']
  .flatMap((s) => ['--set', s]);
const retrain = (out: string, extra: string[] = []) => ['retrain', '--net-config', netFile, '--config', CFG, '--data', data, '--out', out, ...tiny, ...extra];
const ok = (r: { code: number | null; stderr: string }, what: string) => assert.is(r.code, 0, `${what} failed: ${r.stderr}`);
const lines = (run: string) => readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
// wall-time fields differ between runs
const epochs = (run: string) => lines(run).filter((r) => r.kind === 'epoch').map(({ images_per_s, test_images_per_s, seconds, ...r }) => r);

test('a tiny derived net retrains on Fashion-MNIST: its loss falls, the lr follows the cosine from step 0', async () => {
  ok(await runCli(['data', 'fashion-mnist', '--out', data, '--format', 'lmdb', '--limit', '320']), 'import');
  writeFileSync(netFile, JSON.stringify({ net_type: 'mbv2', net_config: [[[8, 8], 'mbconv_k3_t1', [], 0, 1], [[8, 16], 'mbconv_k3_t3', ['mbconv_k3_t3'], 1, 2], [[16, 32], 'conv1_1']] }));
  const run = join(dir, 'whole');
  const r = await runCli(retrain(run));
  ok(r, 'retrain');
  for (const f of ['config.yaml', 'net_config', 'net_config.json', 'metrics.jsonl', 'checkpoint.safetensors', 'best/model.safetensors', 'best/net_config.json']) assert.ok(existsSync(join(run, f)), `${f} written`);
  const e = epochs(run);
  assert.equal(e.map((r) => r.epoch), [0, 1, 2]);
  assert.ok(e[2].train_loss < e[0].train_loss - 0.05, `train loss should fall: ${e.map((r) => r.train_loss)}`);
  assert.ok(e[2].test_loss < e[0].test_loss, `test loss should fall: ${e.map((r) => r.test_loss)}`);
  // n of the 256 images train (the rest are held out per class): E = floor(n / 32) + 1 steps an
  // epoch, T = 3 E; the step logged as k used step k - 1.
  const n = Number(/(\d+) training images, (\d+) validation images/.exec(r.stderr)![1]);
  assert.ok(n > 200 && n < 256, `${n} training images of 256`);
  const T = 3 * (Math.floor(n / 32) + 1), batches = Math.ceil(n / 32);
  const lr = (t: number) => 1e-5 + ((0.05 - 1e-5) * (1 + Math.cos((Math.PI * t) / T))) / 2;
  const steps = lines(run).filter((r) => r.kind === 'step');
  assert.is(steps.length, 3 * Math.ceil(batches / 2));   // every second step and the last of each epoch
  steps.forEach((s) => assert.ok(Math.abs(s.lr - lr(s.epoch * batches + s.step - 1)) < 1e-12, `lr at epoch ${s.epoch} step ${s.step}: ${s.lr}`));
  // best/ is the epoch of best validation top-1; its test top-1 is reported as the final one.
  const best = JSON.parse(readFileSync(join(run, 'best/net_config.json'), 'utf8'));
  const chosen = e.find((r) => r.val_top1 === Math.max(...e.map((x) => x.val_top1)))!;
  assert.is(best.epoch, chosen.epoch);
  assert.is(best.test_top1, chosen.test_top1);
  assert.equal(lines(run).filter((l) => l.kind === 'final'), [{ kind: 'final', epoch: chosen.epoch, val_top1: chosen.val_top1, test_top1: chosen.test_top1, test_top5: chosen.test_top5 }]);
  assert.match(r.stdout, `final test top-1 ${chosen.test_top1.toFixed(2)}`);
});

test('test_every_epoch false: the test images once, on the chosen epoch\'s weights, give what the per-epoch run reported', async () => {
  const whole = join(dir, 'whole'), once = join(dir, 'once');
  const r = await runCli(retrain(once, ['--set', 'train_params.test_every_epoch=false']));
  ok(r, 'retrain testing once');
  const e = epochs(once), w = epochs(whole);
  assert.ok(e.every((x) => !('test_top1' in x)), 'no test figures per epoch');
  assert.equal(e.map((x) => [x.epoch, x.val_top1, x.train_loss]), w.map((x) => [x.epoch, x.val_top1, x.train_loss]), 'the same training');
  const final = lines(once).find((l) => l.kind === 'final'), wf = lines(whole).find((l) => l.kind === 'final');
  assert.equal([final.epoch, final.val_top1, final.test_top1, final.test_top5], [wf.epoch, wf.val_top1, wf.test_top1, wf.test_top5]);
  assert.is(JSON.parse(readFileSync(join(once, 'best/net_config.json'), 'utf8')).test_top1, wf.test_top1);
  assert.match(r.stdout, `final test top-1 ${wf.test_top1.toFixed(2)}`);
});

test('a retrain killed with SIGKILL mid-epoch and resumed ends as the uninterrupted one', async () => {
  const whole = join(dir, 'whole'), killed = join(dir, 'killed');
  const r = await runCli(retrain(killed), (child) => {
    const timer = setInterval(() => {
      const m = join(killed, 'metrics.jsonl');
      if (existsSync(join(killed, 'checkpoint.safetensors')) && existsSync(m) && /"kind":"step","epoch":1,/.test(readFileSync(m, 'utf8'))) {
        clearInterval(timer);
        child.kill('SIGKILL');
      }
    }, 20);
    child.on('close', () => clearInterval(timer));
  });
  assert.is(r.signal, 'SIGKILL', 'the retrain was killed mid-run');
  assert.ok(!lines(killed).some((l) => l.kind === 'epoch' && l.epoch === 2), 'killed before the last epoch ended');
  ok(await runCli(retrain(killed, ['--resume'])), 'resumed retrain');
  assert.equal(epochs(killed), epochs(whole));
  assert.equal(lines(killed).filter((l) => l.kind === 'step'), lines(whole).filter((l) => l.kind === 'step'));
  assert.ok(readFileSync(join(killed, 'best/model.safetensors')).equals(readFileSync(join(whole, 'best/model.safetensors'))), 'best weights identical');
});

test('validate --json reports the top-1 recomputed from the saved weights, the counts and a latency', async () => {
  const run = join(dir, 'whole');
  const r = await runCli(['validate', '--run', run, '--data', data, '--json', '--batch', '40', '--runs', '3']);
  ok(r, 'validate');
  const v = JSON.parse(r.stdout);
  // Recompute: the run's config and net, the best weights, the test images center-cropped.
  await engine();
  const cfg = loadConfig([join(run, 'config.yaml')]), net = readNetConfig(join(run, 'net_config.json'));
  const model = derivedFor(net, cfg, new Random(7)).eval();
  loadTensors(join(run, 'best/model.safetensors'), model.stateDict());
  const loader = new Loader(openDataset(join(data, 'test')), { batchSize: 40, augment: evalConfig(16, 1, { mean: [0.286], std: [0.353] }), shuffle: false });
  let right = 0, n = 0;
  for await (const b of loader.epoch(0)) {
    const logits = await noGradAsync(() => tidyAsync(async () => model.forward(Tensor.fromArray(b.x, b.shape)).toArray()));
    for (let i = 0; i < b.n; i++) {
      const row = Array.from(logits.subarray(i * 10, i * 10 + 10));
      right += Number(row.indexOf(Math.max(...row)) === b.y[i]);
      n++;
    }
  }
  assert.is(v.images, n);
  assert.is(v.top1, (100 * right) / n);
  const bestEpoch = epochs(run).reduce((a, e) => (e.val_top1 > a.val_top1 ? e : a));
  assert.is(v.top1, bestEpoch.test_top1);
  assert.ok(Math.abs(v.loss - bestEpoch.test_loss) < 1e-5, `loss ${v.loss} vs ${bestEpoch.test_loss}`);
  assert.ok(v.top5 >= v.top1 && v.top5 <= 100);
  const s = summarizeArch(net, cfg);
  assert.is(v.params, s.params);
  assert.is(v.madds, s.madds);
  assert.is(v.latency.batch, 32);   // no cost table with the run
  assert.ok(v.latency.min_ms > 0 && v.latency.min_ms <= v.latency.median_ms);
  assert.is(v.latency.predicted_ms, null);
  assert.ok(v.images_per_s > 0);
});

test('a missing run, a run without weights and a corrupt weights file each give a clear error', async () => {
  const validate = (run: string, extra: string[] = []) => runCli(['validate', '--run', run, '--data', data, ...extra]);
  const missing = await validate(join(dir, 'nowhere'));
  assert.is(missing.code, 1);
  assert.match(missing.stderr, /run directory .*nowhere does not exist/);
  const empty = join(dir, 'empty');
  mkdirSync(empty);
  for (const f of ['config.yaml', 'net_config.json']) copyFileSync(join(dir, 'whole', f), join(empty, f));
  const none = await validate(empty);
  assert.is(none.code, 1);
  assert.match(none.stderr, /empty has no trained weights \(best\/model\.safetensors/);
  const bad = join(dir, 'bad.safetensors');
  copyFileSync(join(dir, 'whole', 'best/model.safetensors'), bad);
  truncateSync(bad, 200);
  const corrupt = await validate(join(dir, 'whole'), ['--weights', bad]);
  assert.is(corrupt.code, 1);
  assert.match(corrupt.stderr, /bad\.safetensors: truncated checkpoint/);
  const noRun = await runCli(['retrain', '--net-config', netFile, '--config', CFG, '--data', data, '--out', join(dir, 'fresh'), '--resume', ...tiny]);
  assert.match(noRun.stderr, /--resume: .*fresh holds no checkpoint\.safetensors/);
});

test.run();
