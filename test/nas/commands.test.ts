// The command line around the NAS: `node cli/search.js` is `densenas search`; Dawn's warnings are
// filtered unless --verbose; adapters are listed and chosen by name; the small promises of the
// help texts hold; comparing plots names a search run given among retrain runs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../nas/config.js';
import { runCli, tempDir } from '../cli.js';
import { ROOT } from './paths.js';

const dir = tempDir('commands');
test.after(() => rmSync(dir, { recursive: true, force: true }));

const node = (args: string[]) => spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });

test('node cli/search.js from the repository root is densenas search: same help, same checks', async () => {
  const shim = node(['cli/search.js', '--help']), cli = await runCli(['search', '--help']);   // same text
  assert.is(shim.status, 0, shim.stderr);
  assert.is(shim.stdout, cli.stdout);
  for (const opt of ['--config', '--data', '--out', '--resume', '--force', '--table', '--set', '--json']) assert.ok(shim.stdout.includes(opt), opt);
  const bad = node(['cli/search.js', '--data', join(dir, 'none'), '--out', join(dir, 'run')]);
  assert.is(bad.status, 1);
  assert.match(bad.stderr, /--config is required for a new search/);
});

test("GPU commands print Dawn's maxDynamic warnings only with --verbose", async () => {
  const quiet = await runCli(['device']), loud = await runCli(['device', '--verbose']);
  assert.is(quiet.code, 0, quiet.stderr);
  assert.not.match(quiet.stderr, /artificially reduced/);
  assert.match(quiet.stdout, /^features /m);
  assert.is(loud.code, 0, loud.stderr);
  // Dawn prints them where a software Vulkan driver reports more dynamic buffers than Dawn allows.
  if (/llvmpipe|lavapipe/.test(quiet.stdout)) assert.match(loud.stderr, /artificially reduced/);
});

test('device --all lists the adapters, and --adapter chooses one by part of its name or fails listing them', async () => {
  const all = await runCli(['device', '--all', '--json']);
  assert.is(all.code, 0, all.stderr);
  const { adapters } = JSON.parse(all.stdout) as { adapters: Array<{ backend: string; name: string }> };
  assert.ok(adapters.length >= 1, all.stdout);
  const word = adapters[0].name.split(/[ (]/)[0];
  const chosen = await runCli(['device', '--json', '--adapter', word]);
  assert.is(chosen.code, 0, chosen.stderr);
  const viaEnv = spawnSync(process.execPath, [join(ROOT, 'dist/cli/densenas.js'), 'device', '--json'], { encoding: 'utf8', env: { ...process.env, DENSENAS_ADAPTER: 'no such adapter' } });
  assert.is(viaEnv.status, 1);
  assert.match(viaEnv.stderr, /adapter 'no such adapter': no adapter has that name/);
  assert.ok(viaEnv.stderr.includes(adapters[0].name), viaEnv.stderr);
});

test('data commands print one JSON object with --json', async () => {
  const out = join(dir, 'fm');
  const imp = await runCli(['data', 'fashion-mnist', '--out', out, '--limit', '100', '--json']);
  assert.is(imp.code, 0, imp.stderr);
  assert.equal(JSON.parse(imp.stdout), { out, format: 'folder', images: { train: 100, test: 100 } });
  const split = await runCli(['data', 'split', '--images', join(out, 'train'), '--out', join(dir, 'lists'), '--json']);
  assert.is(split.code, 0, split.stderr);
  const s = JSON.parse(split.stdout);
  assert.is(s.train + s.val, 100);
  assert.is(s.classes.length, readdirSync(join(out, 'train')).filter((f) => !f.startsWith('.')).length);
});

test('mistyped commands get a suggestion', async () => {
  const r = await runCli(['serach']);
  assert.is(r.code, 2);
  assert.match(r.stderr, /Did you mean search\?/);
});

test("retrain --help's --set example is a key that retraining reads", async () => {
  const r = await runCli(['retrain', '--help']);
  const key = /--set ([\w.]+)=(\S+)/.exec(r.stdout);
  assert.ok(key, r.stdout);
  assert.match(key![1], /^(train_params|optim|data)\./);
  loadConfig([], [`${key![1]}=${key![2]}`]);   // throws for an unknown key or a bad value
});

test('lut check says that it needs --config', async () => {
  const r = await runCli(['lut', 'check', '--table', 't.json', '--net-config', 'n']);
  assert.is(r.code, 2);
  assert.match(r.stderr, /Missing required argument: config/);
});

test('plot of a search run among retrain runs names the search run', async () => {
  const search = join(dir, 'search-run'), retrain = join(dir, 'retrain-run');
  mkdirSync(search, { recursive: true }); mkdirSync(retrain, { recursive: true });
  for (const f of ['metrics.jsonl', 'arch.jsonl', 'net_config.json']) writeFileSync(join(search, f), '');
  for (const f of ['metrics.jsonl', 'net_config.json']) writeFileSync(join(retrain, f), '');
  const r = await runCli(['plot', '--run', retrain, search, '--out', join(dir, 'cmp')]);
  assert.is(r.code, 1);
  assert.ok(r.stderr.includes(`${search} is not a retrain run (it is a search run)`), r.stderr);
});

test.run();
