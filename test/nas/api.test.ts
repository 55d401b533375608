// The package's root entry as a user program sees it: the README's API example searches through
// `import ... from 'densenas-webgpu'`, its callbacks report every epoch the run records, and the
// config functions report every problem at once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from '../cli.js';
import { ROOT } from './paths.js';

const dir = tempDir('api');
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('the README API example searches through densenas-webgpu and reports each recorded epoch', async () => {
  const data = join(dir, 'fm'), out = join(dir, 'search');
  const imp = await runCli(['data', 'fashion-mnist', '--out', data, '--format', 'lmdb', '--limit', '200']);
  assert.is(imp.code, 0, imp.stderr);
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const m = readme.match(/<!-- example: api -->\s*```js\n([\s\S]*?)```/);
  assert.ok(m, 'README.md has a js block after <!-- example: api -->');
  assert.match(m![1], /from 'densenas-webgpu'/);
  const file = join(ROOT, 'dist', 'readme-api-example.mjs');   // inside the package, so its own name resolves
  writeFileSync(file, m![1]);
  try {
    // twice into the same folder: the second run needs its force: true
    for (let i = 0; i < 2; i++) {
      const r = spawnSync(process.execPath, [file, data, out], { encoding: 'utf8', timeout: 600_000 });
      assert.is(r.status, 0, `example exited with ${r.status}: ${r.stderr}`);
      assert.not.match(r.stderr, /artificially reduced/, "Dawn's adapter warnings filtered");
      const printed = [...r.stdout.matchAll(/^epoch (\d+): (.*), ([\d.]+) M multiply-adds$/gm)];
      const records = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((x) => x.kind === 'epoch');
      assert.equal(printed.map((p) => Number(p[1])), [0, 1], r.stdout);
      assert.equal(printed.map((p) => p[2]), records.map((x) => x.arch));
      assert.match(r.stdout, /epoch 1 weight: \d+ batches \(epoch 2\/2\)/);
    }
  } finally {
    rmSync(file, { force: true });
  }
});

test('a config with several mistakes names every one, with the key it probably meant', async () => {
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'train_params:\n    epoch: 3\ndata:\n    batch_size: -2\n');
  const r = await runCli(['space', '--config', bad, '--set', 'optim.sub_obj.targte=40']);
  assert.is(r.code, 1);
  assert.match(r.stderr, /3 problems/);
  assert.match(r.stderr, /line 2: key train_params\.epoch: unknown key \(did you mean train_params\.epochs\?\)/);
  assert.match(r.stderr, /line 4: key data\.batch_size/);
  assert.match(r.stderr, /optim\.sub_obj\.targte: unknown key \(did you mean optim\.sub_obj\.target\?\)/);
});

test.run();
