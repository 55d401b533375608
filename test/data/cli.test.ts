// The README's data commands, end to end through the CLI: import, split, pack, read, bench.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli, tempDir } from './util.js';

const dir = tempDir('cli');

test('import Fashion-MNIST, split, pack, read a batch', async () => {
  const fm = path.join(dir, 'fmnist'), lists = path.join(dir, 'lists'), db = path.join(dir, 'lmdb', 'train');
  for (const args of [
    ['data', 'fashion-mnist', '--out', fm, '--limit', '200'],
    ['data', 'split', '--images', path.join(fm, 'train'), '--out', lists, '--val-fraction', '0.2', '--seed', '0'],
    ['data', 'pack', '--images', path.join(fm, 'train'), '--list', path.join(lists, 'train.txt'), '--out', db],
  ]) {
    const r = await runCli(args);
    assert.is(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  }
  const r = await runCli(['data', 'read', '--data', db, '--batch', '8', '--train']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, `${db}: 160 images, 10 classes`);
  assert.match(r.stdout, 'batch x [8, 28, 28, 1] float32 NHWC');
  assert.is(r.stdout.match(/labels (.*)/)![1].split(' ').length, 8);
});

test('bench data prints its table and writes JSON', async () => {
  const json = path.join(dir, 'bench.json');
  const r = await runCli(['bench', 'data', '--small', '512', '--large', '16', '--batch', '64', '--out', json]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /28x28 raw, train \(crop\+flip\)\s+512\s+64/);
  const report = JSON.parse(fs.readFileSync(json, 'utf8'));
  assert.is(report.benchmark, 'data');
  assert.ok(report.machine.cores >= 1 && report.machine.node === process.version);
  assert.is(report.results.length, 6);
  assert.ok(report.results.every((row: { images_per_s: number }) => row.images_per_s > 0));
});

test('bad input: a clear message naming the path, exit code 1', async () => {
  const r = await runCli(['data', 'split', '--images', path.join(dir, 'nowhere'), '--out', path.join(dir, 'x')]);
  assert.is(r.code, 1);
  assert.match(r.stderr, `densenas: image folder ${path.join(dir, 'nowhere')} does not exist`);
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
test.run();
