// The search as a user runs it, on real Fashion-MNIST images: a latency table built on this
// adapter for a tiny space, a search killed with SIGKILL mid-epoch and resumed that ends exactly
// as an uninterrupted one, and clear errors for a bad config, a missing data directory and a
// corrupt checkpoint.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../nas/config.js';
import { zeroArchParams } from '../../nas/arch_params.js';
import { flopsTable, readCostTable, resolveCosts, spaceOpDescs } from '../../nas/cost_table.js';
import { costBand, deriveForTarget, mostProbableInBand } from '../../nas/derive.js';
import { uniformOpEntropy } from '../../nas/entropy.js';
import { opKey } from '../../nas/ops.js';
import { formatArch, readNetConfig } from '../../nas/net_config.js';
import { buildSpace } from '../../nas/space.js';
import { runCli, tempDir } from '../cli.js';
import { config, QUICK_CFG } from './paths.js';

const dir = tempDir('search');
test.after(() => rmSync(dir, { recursive: true, force: true }));
const data = join(dir, 'fmnist'), table = join(dir, 'lut.json');
// A tiny run: 16x16 inputs, 320 training images, batch 32, two epochs with an arch phase in the second.
const tiny = ['data.input_size=[1,16,16]', 'search_params.net_scale.stem_stride=1', 'search_params.net_scale.fm_sizes=[16,8,8,4,4,4]', 'data.limit=320', 'data.batch_size=32',
  'train_params.epochs=2', 'search_params.arch_update_epoch=1', 'search_params.val_start_epoch=1', 'search_params.log_every=2'].flatMap((s) => ['--set', s]);

const ok = (r: { code: number | null; stderr: string }, what: string) => assert.is(r.code, 0, `${what} failed: ${r.stderr}`);

test('import a slice of Fashion-MNIST and build a latency table for a tiny space on this adapter', async () => {
  ok(await runCli(['data', 'fashion-mnist', '--out', data, '--format', 'lmdb', '--limit', '400']), 'import');
  ok(await runCli(['lut', 'build', '--config', QUICK_CFG, ...tiny, '--out', table, '--batch', '32', '--runs', '2', '--warmup', '1', '--calibrate', '3']), 'lut build');
  const t = readCostTable(table);
  const space = buildSpace(loadConfig([QUICK_CFG], tiny.filter((_, i) => i % 2 === 1)));
  const keys = spaceOpDescs(space, 32).map(opKey);
  assert.equal(Object.keys(t.entries).sort(), [...new Set(keys)].sort());
  for (const [key, v] of Object.entries(t.entries)) {
    // an identity skip runs no kernel: it costs nothing on the device
    assert.ok(key.startsWith('skip_connect') ? v >= 0 : v > 0, `${key}: ${v} ms`);
  }
  assert.match(t.device, /\w/);
  assert.is(t.batch, 32);
  // scaled by the middle of three whole networks' measured / predicted
  const r = t.calibration!.ratios;
  assert.is(r.length, 3);
  for (const x of r) assert.ok(x > 0.1 && x < 10, `measured / predicted ${x}`);
  assert.is(t.calibration!.scale, [...r].sort((a, b) => a - b)[1]);
});

const search = (out: string, extra: string[] = [], images = data) => ['search', '--config', QUICK_CFG, '--data', images, '--table', table, '--out', out, ...tiny, ...extra];
const epochLines = (run: string) => readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
  .filter((r) => r.kind !== 'phase' || delete r.seconds);   // phase lines carry a wall time

test('a search killed with SIGKILL mid-epoch and resumed ends as the uninterrupted one', async () => {
  const whole = join(dir, 'whole'), killed = join(dir, 'killed');
  ok(await runCli(search(whole)), 'uninterrupted search');
  for (const f of ['net_config', 'net_config.json', 'best/net_config', 'arch.jsonl', 'config.yaml', 'checkpoint.safetensors', 'cost_table.json']) assert.ok(existsSync(join(whole, f)), `${f} written`);

  // Kill once the first epoch's checkpoint exists and the second epoch has logged a step.
  const r = await runCli(search(killed), (child) => {
    const timer = setInterval(() => {
      const m = join(killed, 'metrics.jsonl');
      if (existsSync(join(killed, 'checkpoint.safetensors')) && existsSync(m) && /"epoch":1,"phase":"\w+","step"/.test(readFileSync(m, 'utf8'))) {
        clearInterval(timer);
        child.kill('SIGKILL');
      }
    }, 50);
    child.on('close', () => clearInterval(timer));
  });
  assert.is(r.signal, 'SIGKILL', 'the search was killed mid-run');
  ok(await runCli(search(killed, ['--resume'])), 'resumed search');
  assert.is(readFileSync(join(killed, 'net_config'), 'utf8'), readFileSync(join(whole, 'net_config'), 'utf8'));
  assert.equal(epochLines(killed), epochLines(whole));
  assert.is(readFileSync(join(killed, 'arch.jsonl'), 'utf8'), readFileSync(join(whole, 'arch.jsonl'), 'utf8'));
});

test('a bad config key, a missing data directory and a corrupt checkpoint each give a clear error', async () => {
  const bad = await runCli(search(join(dir, 'bad'), ['--set', 'optim.sub_obj.sub_loss_factr=0.2']));
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /--set optim\.sub_obj\.sub_loss_factr=0\.2: key optim\.sub_obj\.sub_loss_factr: unknown key/);
  const missing = await runCli(search(join(dir, 'm'), [], join(dir, 'nowhere')));
  assert.is(missing.code, 1);
  assert.match(missing.stderr, /data directory .*nowhere does not exist/);
  const ckpt = join(dir, 'whole', 'checkpoint.safetensors');
  truncateSync(ckpt, 1000);
  const corrupt = await runCli(search(join(dir, 'whole'), ['--resume']));
  assert.is(corrupt.code, 1);
  assert.match(corrupt.stderr, /checkpoint\.safetensors: truncated checkpoint/);
  writeFileSync(ckpt, 'not a checkpoint at all');
  assert.match((await runCli(search(join(dir, 'whole'), ['--resume']))).stderr, /checkpoint\.safetensors: (truncated|corrupt) checkpoint/);
});

test('the quick config runs end to end as shipped, and a ResNet-based space searches, and a search keeps to a cost target', async () => {
  const full = join(dir, 'fmnist-all'), lut = join(dir, 'lut-quick.json'), run = join(dir, 'quick');
  ok(await runCli(['data', 'fashion-mnist', '--out', full, '--format', 'lmdb']), 'import');
  ok(await runCli(['lut', 'build', '--config', QUICK_CFG, '--out', lut, '--batch', '64', '--runs', '2', '--warmup', '1']), 'lut build');
  const r = await runCli(['search', '--config', QUICK_CFG, '--data', full, '--table', lut, '--out', run]);
  ok(r, 'quick search');
  const epochs = epochLines(run).filter((l) => l.kind === 'epoch');
  assert.is(epochs.length, 6);
  assert.match(r.stdout, /Derived arch: \[\[8, 8\], 'mbconv_k3_t1'/);
  // The search learns: the supernet far above chance (the original's settings reach 25-30% here)
  // and op weights well away from uniform (the original's stay within 0.1% of it).
  const last = epochs[epochs.length - 1], uniform = uniformOpEntropy(buildSpace(loadConfig([QUICK_CFG])));
  assert.ok(last.valid_top1 > 55, `supernet validation top-1 ${last.valid_top1}`);
  assert.ok(last.mean_op_entropy < 0.9 * uniform, `mean op entropy ${last.mean_op_entropy} of uniform ${uniform}`);
  assert.match(r.stdout, /architecture weights: mean op entropy [\d.]+ nats, [\d.]+% of uniform \([\d.]+\); on the derived architecture's rows [\d.]+% of uniform/);
  assert.ok(last.arch_op_entropy_share < 0.8, `the derived architecture's rows: ${last.arch_op_entropy_share} of uniform`);
  for (const f of ['plots/supernet.png', 'plots/curves.png', 'plots/arch_weights.png', 'best/net_config.json']) assert.ok(existsSync(join(run, f)), `${f} written`);
  // The supernet's view of architectures (inherited weights): its derived one far above chance,
  // random ones of the space scored alike twice, each record keeping its fields beside the score.
  const samples = join(dir, 'samples');
  ok(await runCli(['sample', '--config', QUICK_CFG, '--table', lut, '--target', String(last.table_cost), '--target-form', 'two_sided', '--tolerance', '0.3', '--count', '2', '--seed', '1', '--out', samples]), 'sample');
  const archDirs = [join(run, 'best'), join(samples, 'arch-0'), join(samples, 'arch-1')];
  const scored = async () => { const s = await runCli(['score', '--run', run, '--data', full, ...archDirs, '--json']); ok(s, 'score'); return JSON.parse(s.stdout).scores; };
  const first = await scored(), second = await scored();
  assert.ok(first[0].supernet_top1 > 40, `the derived architecture on the supernet: ${first[0].supernet_top1}%`);
  assert.equal(second.map((x: any) => x.supernet_top1), first.map((x: any) => x.supernet_top1));
  const sampled = JSON.parse(readFileSync(join(archDirs[1], 'net_config.json'), 'utf8'));
  assert.equal([sampled.supernet_top1, sampled.index, typeof sampled.table_cost], [first[1].supernet_top1, 0, 'number']);
  // How much of its architecture gradient is signal: every search-validation batch (9 of up to
  // 64 images), the op logits (11 head rows of 6, 3 stack layers of 7) that the architectures
  // drawn reach, the run's 4 x 9 arch steps.
  const sig = await runCli(['signal', '--run', run, '--data', full, '--json']);
  ok(sig, 'signal');
  const signal = JSON.parse(sig.stdout);
  assert.equal([signal.epoch, signal.batches, signal.logits_total, signal.arch_steps], [5, 9, 87, 36]);
  assert.ok(signal.logits > 10 && signal.logits <= 87, `${signal.logits} op logits with a gradient`);
  for (const g of [signal.fit, signal.total]) assert.ok(g.significant >= 0 && g.significant <= 1 && g.sd > 0 && Number.isFinite(g.snr_median), JSON.stringify(g));
  assert.ok(signal.cost_term_abs > 0, 'the quick config has a cost term');
  // Architecture steps through the mixture of every op (the original's estimator): the weights move too.
  const mixture = join(dir, 'mixture');
  ok(await runCli(['search', '--config', QUICK_CFG, '--data', full, '--table', lut, '--out', mixture,
    ...['search_params.arch_gradient=mixture', 'data.limit=512', 'train_params.epochs=3', 'search_params.arch_update_epoch=1'].flatMap((x) => ['--set', x])]), 'mixture search');
  const mixtureLast = epochLines(mixture).filter((l) => l.kind === 'epoch').pop();
  assert.ok(mixtureLast.mean_op_entropy < 0.995 * uniform, `mixture: mean op entropy ${mixtureLast.mean_op_entropy} of uniform ${uniform}`);
  const res = await runCli(['search', '--config', config('fmnist_search_resnet.yaml'), '--data', full, '--out', join(dir, 'res'),
    '--set', 'data.limit=256', '--set', 'train_params.epochs=2', '--set', 'search_params.val_start_epoch=1']);
  ok(res, 'ResNet-based search');
  assert.match(res.stdout, /Derived arch: \[\[8, \d+\], 'basic_block'/);

  // A multiply-add target 30% above what uniform weights derive, which some architecture meets:
  // every epoch's derived architecture must cost within 5% of it.
  const flops = ['optim.sub_obj.type=flops', 'optim.sub_obj.target_form=two_sided'];
  const space = buildSpace(loadConfig([QUICK_CFG], flops));
  const { costs } = resolveCosts(space, flopsTable(space));
  const target = 1.3 * deriveForTarget(space, zeroArchParams(space), costs).cost, band = costBand(target, 'two_sided', 0.05);
  assert.ok(mostProbableInBand(space, zeroArchParams(space), costs, band).inBand, 'the target is reachable');
  const targeted = join(dir, 'target');
  ok(await runCli(['search', '--config', QUICK_CFG, '--data', full, '--out', targeted, ...[...flops, `optim.sub_obj.target=${target}`, 'data.limit=256', 'train_params.epochs=2', 'search_params.arch_update_epoch=1'].flatMap((x) => ['--set', x])]), 'search to a target');
  const derived = epochLines(targeted).filter((l) => l.kind === 'epoch');
  assert.is(derived.length, 2);
  for (const l of derived) assert.ok(l.table_cost >= band.lo && l.table_cost <= band.hi, `epoch ${l.epoch}: ${l.table_cost} M multiply-adds for a target of ${target}`);
  // derive again from the run: the same architecture, written for retrain; without the target, the Viterbi one
  const again = await runCli(['derive', '--run', targeted, '--epoch', 'last', '--json', '--out', join(dir, 'again')]);
  ok(again, 'derive');
  const rec = JSON.parse(again.stdout);
  assert.equal([rec.arch, rec.table_cost, rec.derivation], [derived[1].arch, derived[1].table_cost, derived[1].derivation]);
  assert.is(formatArch(readNetConfig(join(dir, 'again', 'net_config'))), rec.arch);
  const none = await runCli(['derive', '--run', targeted, '--epoch', '1', '--target', 'none', '--json']);
  ok(none, 'derive without a target');
  assert.is(JSON.parse(none.stdout).derivation, 'viterbi');
  assert.is(JSON.parse(none.stdout).table_cost, derived[1].viterbi_cost ?? derived[1].table_cost);
});

test('a space with the fused MBConv (not in the original) gets a latency table and searches with it', async () => {
  const prims = ['search_params.PRIMITIVES_head=[fused_mbconv_k3_t4]', 'search_params.PRIMITIVES_stack=[fused_mbconv_k3_t3, skip_connect]']
    .flatMap((s) => ['--set', s]);
  const lut = join(dir, 'fused_lut.json'), out = join(dir, 'fused');
  ok(await runCli(['lut', 'build', '--config', QUICK_CFG, ...tiny, ...prims, '--out', lut, '--batch', '32', '--runs', '1', '--warmup', '0',
    '--calibrate', '0']), 'lut build');
  const entries = Object.entries(readCostTable(lut).entries);
  for (const op of ['fused_mbconv_k3_t4', 'fused_mbconv_k3_t3']) {
    const mine = entries.filter(([k]) => k.startsWith(`${op}|`));
    assert.ok(mine.length > 0 && mine.every(([, v]) => v > 0), `${op}: ${mine.length} entries, all timed`);
  }
  const r = await runCli(['search', '--config', QUICK_CFG, '--data', data, '--table', lut, '--out', out, ...tiny, ...prims]);
  ok(r, 'search');
  // after the fixed mbconv_k3_t1, every head is the fused op: the only head candidate
  assert.match(r.stdout, /Derived arch: \[\[8, 8\], 'mbconv_k3_t1', \[\], 0, 1\]\|\[\[8, \d+\], 'fused_mbconv_k3_t4'/);
  assert.match(r.stdout, /params \d\.\d+ M, multiply-adds \d+\.\d+ M, latency \d+\.\d+ ms/);
});

test.run();
