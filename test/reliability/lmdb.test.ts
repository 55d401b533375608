// A damaged LMDB is an error naming its file, never a crash: LMDB maps the file and trusts it,
// so a truncated data.mdb used to die of SIGBUS and a page of flipped bytes could abort in
// glibc. Each damaged copy is read to the last record in a child process, whose exit must be 0
// (the damage missed every page the reader uses) or 1 with the file named; never a signal.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { cpSync, openSync, closeSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Random } from '../../engine/random.js';
import { runCli, tempDir } from '../cli.js';

const dir = tempDir('rel-lmdb');
test.after(() => rmSync(dir, { recursive: true, force: true }));
const data = join(dir, 'fmnist'), train = join(data, 'train');
const DATASET = resolve(fileURLToPath(import.meta.url), '../../../nas/data/dataset.js');

/** Opens the LMDB and reads every record in a child process. */
function readAll(db: string) {
  const script = join(dir, 'read-all.mjs');
  writeFileSync(script, `import { openDataset } from ${JSON.stringify(pathToFileURL(DATASET).href)};
try {
  const ds = openDataset(process.env.DB);
  for (let i = 0; i < ds.entries.length; i++) await ds.read(i);
  console.log('read', ds.entries.length);
} catch (e) { console.error(e.message); process.exit(1); }\n`);
  const r = spawnSync(process.execPath, [script], { env: { ...process.env, DB: db }, encoding: 'utf8' });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

test('import a slice of Fashion-MNIST as LMDB; the intact copy reads to the end', async () => {
  const r = await runCli(['data', 'fashion-mnist', '--out', data, '--format', 'lmdb', '--limit', '300']);
  assert.is(r.code, 0, r.stderr);
  const ok = readAll(train);
  assert.is(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /read 300/);
});

test('a truncated data.mdb is an error naming the file, in the reader and in data read', async () => {
  const copy = join(dir, 'truncated');
  cpSync(train, copy, { recursive: true });
  const file = join(copy, 'data.mdb');
  truncateSync(file, Math.floor(statSync(file).size / 2 / 4096) * 4096 + 100);
  const r = readAll(copy);
  assert.is(r.signal, null, `killed by ${r.signal}`);
  assert.is(r.code, 1);
  assert.match(r.stderr, new RegExp(`${file}: corrupt LMDB \\(.*truncated`));
  const cli = await runCli(['data', 'read', '--data', copy]);
  assert.is(cli.code, 1, cli.stderr);
  assert.match(cli.stderr, /data\.mdb: corrupt LMDB/);
});

test('pages of flipped bytes anywhere in the file give an error naming it or a clean read, never a crash', () => {
  const rng = new Random(21), size = statSync(join(train, 'data.mdb')).size, pages = size / 4096;
  let caught = 0;
  for (let trial = 0; trial < 12; trial++) {
    const copy = join(dir, `flipped-${trial}`);
    cpSync(train, copy, { recursive: true });
    const file = join(copy, 'data.mdb'), fd = openSync(file, 'r+');
    // One whole page, or 1-8 scattered 64-byte runs, of random bytes (the meta pages 0 and 1 included).
    const runs = trial % 2 ? [{ at: Math.floor(rng.uniform() * pages) * 4096, n: 4096 }]
      : Array.from({ length: 1 + Math.floor(rng.uniform() * 8) }, () => ({ at: Math.floor(rng.uniform() * (size - 64)), n: 64 }));
    for (const { at, n } of runs) writeSync(fd, Uint8Array.from({ length: n }, () => Math.floor(rng.uniform() * 256)), 0, n, at);
    closeSync(fd);
    const r = readAll(copy);
    assert.is(r.signal, null, `trial ${trial}: killed by ${r.signal}`);
    assert.ok(r.code === 0 || r.code === 1, `trial ${trial}: exit ${r.code}: ${r.stderr}`);
    if (r.code === 1) {
      caught++;
      assert.ok(r.stderr.includes(copy), `trial ${trial}: the error names the database: ${r.stderr}`);
    }
    rmSync(copy, { recursive: true });
  }
  assert.ok(caught >= 6, `most damage is found (${caught} of 12)`);
  assert.ok(readFileSync(join(train, 'data.mdb')).length === size);
});

test.run();
