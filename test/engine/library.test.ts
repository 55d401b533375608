// The README's engine example, run as a user would: a separate Node program that imports the
// engine through the package's own name.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');

test('the README example trains a small network through densenas-webgpu/engine', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const m = readme.match(/<!-- example: engine -->\s*```js\n([\s\S]*?)```/);
  assert.ok(m, 'README.md has a js block after <!-- example: engine -->');
  assert.match(m![1], /from 'densenas-webgpu\/engine'/);
  const file = join(root, 'dist', 'readme-example.mjs');   // inside the package, so its own name resolves
  writeFileSync(file, m![1]);
  try {
    const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 300_000 });
    assert.is(r.status, 0, `example exited with ${r.status}: ${r.stderr}`);
    assert.not.match(r.stderr, /artificially reduced/, "Dawn's adapter warnings filtered");
    const losses = [...r.stdout.matchAll(/loss (\d+\.\d+)/g)].map((x) => Number(x[1]));
    assert.ok(losses.length >= 10, `expected a loss per step, got: ${r.stdout}`);
    assert.ok(losses.at(-1)! < losses[0] / 2, `loss should fall by half: ${losses[0]} -> ${losses.at(-1)}`);
  } finally {
    rmSync(file, { force: true });
  }
});

test.run();
