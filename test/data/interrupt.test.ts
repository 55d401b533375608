// A pack killed with SIGKILL mid-way, then re-run: the right count, whole records, no duplicates.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { open } from 'lmdb';
import sharp from 'sharp';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LmdbDataset } from '../../nas/data/dataset.js';
import { importFashionMnist } from '../../nas/data/fashion_mnist.js';
import { scanImageFolder } from '../../nas/data/folder.js';
import { decodeRecord } from '../../nas/data/record.js';
import { runCli, tempDir, throwsWith } from './util.js';

const dir = tempDir('interrupt');
const N = 3000;

test('killed pack: only whole records; re-run completes with the right count and contents', async () => {
  await importFashionMnist({ out: dir, format: 'folder', limit: N });
  const images = path.join(dir, 'train'), out = path.join(dir, 'train.lmdb');
  const args = ['data', 'pack', '--images', images, '--out', out];

  // Kill at the first progress line: the first chunk has been committed, most are still to come.
  const killed = await runCli(args, (child) => child.stderr!.once('data', () => child.kill('SIGKILL')));
  assert.is(killed.signal, 'SIGKILL', `pack was not killed (exit ${killed.code}: ${killed.stderr})`);
  await throwsWith(() => LmdbDataset.open(out), out, 'unfinished');

  const env = open({ path: out, noSubdir: false, readOnly: true, maxDbs: 4 });
  const db = env.openDB<Buffer, string>({ name: 'images', encoding: 'binary' });
  const partial = [...db.getRange()];
  await env.close();
  assert.ok(partial.length > 0 && partial.length < N, `${partial.length} records after the kill`);
  for (const { key, value } of partial) assert.is(decodeRecord(value, key).payload.length, 784, key);

  const done = await runCli(args);
  assert.is(done.code, 0, done.stderr);
  assert.match(done.stdout, `${N} records`);
  const ds = LmdbDataset.open(out);
  try {
    const expected = scanImageFolder(images);
    assert.equal(ds.entries, expected);   // every image once, with its label
    for (let i = 0; i < expected.length; i += 7) {
      const pixels = await sharp(path.join(images, expected[i].key)).toColourspace('b-w').raw().toBuffer();
      assert.ok(Buffer.from(ds.read(i).payload).equals(pixels), expected[i].key);
    }
  } finally {
    ds.close();
  }
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
test.run();
