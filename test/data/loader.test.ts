import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { evalConfig, trainConfig } from '../../nas/data/augment.js';
import { FolderDataset, LmdbDataset } from '../../nas/data/dataset.js';
import { importFashionMnist } from '../../nas/data/fashion_mnist.js';
import { Loader, type Batch } from '../../nas/data/loader.js';
import { splitEntries } from '../../nas/data/split.js';
import { tempDir } from './util.js';

const dir = tempDir('loader');
const N = 100;
let lmdb: LmdbDataset;

test.before(async () => {
  await importFashionMnist({ out: path.join(dir, 'lmdb'), format: 'lmdb', limit: N });
  await importFashionMnist({ out: path.join(dir, 'folder'), format: 'folder', limit: N });
  lmdb = LmdbDataset.open(path.join(dir, 'lmdb', 'train'));
});

async function collect(loader: Loader, epoch: number): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of loader.epoch(epoch)) out.push(b);
  return out;
}

test('an epoch covers every image once, in NHWC batches with their labels', async () => {
  const loader = new Loader(lmdb, { batchSize: 32, augment: trainConfig(24, 3), seed: 5 });
  const batches = await collect(loader, 0);
  assert.equal(batches.map((b) => b.n), [32, 32, 32, 4]);
  assert.equal(batches[0].shape, [32, 24, 24, 3]);
  assert.is(batches[3].x.length, 4 * 24 * 24 * 3);
  const order = loader.order(0);
  assert.equal([...order].sort((a, b) => a - b), lmdb.entries.map((_, i) => i));
  assert.equal(batches.flatMap((b) => [...b.y]), order.map((i) => lmdb.entries[i].label));
  assert.ok(batches.every((b) => b.x.every(Number.isFinite)));
  const dropped = new Loader(lmdb, { batchSize: 32, augment: trainConfig(24, 3), dropLast: true });
  assert.equal([dropped.batches, dropped.length], [3, 96]);
});

test('seeded: same seed and epoch give the same batches; epochs and seeds differ', async () => {
  const make = (seed: number, prefetch: number) => new Loader(lmdb, { batchSize: 16, augment: trainConfig(28, 1), seed, prefetch });
  const a = await collect(make(1, 2), 3), b = await collect(make(1, 0), 3);
  assert.equal(a.map((x) => [...x.y]), b.map((x) => [...x.y]));
  assert.ok(a.every((x, i) => Buffer.from(x.x.buffer).equals(Buffer.from(b[i].x.buffer))), 'prefetch changed the batches');
  assert.not.equal(make(1, 2).order(3), make(1, 2).order(4));
  assert.not.equal(make(1, 2).order(3), make(2, 2).order(3));
  const evalLoader = new Loader(lmdb, { batchSize: 16, augment: evalConfig(28, 1) });
  assert.equal(evalLoader.order(0), evalLoader.order(1));   // evaluation keeps the dataset order
});

test('--limit: a fixed seeded subset, several classes', async () => {
  const l1 = new Loader(lmdb, { batchSize: 8, augment: trainConfig(28, 1), limit: 20, seed: 4 });
  const l2 = new Loader(lmdb, { batchSize: 8, augment: trainConfig(28, 1), limit: 20, seed: 4 });
  assert.is(l1.length, 20);
  assert.equal(l1.indices, l2.indices);
  assert.equal([...l1.order(0)].sort((a, b) => a - b), l1.indices);
  assert.ok(new Set(l1.indices.map((i) => lmdb.entries[i].label)).size > 3);
});

test('image folder (PNG through sharp) and LMDB (raw) give the same evaluation batches', async () => {
  const folder = FolderDataset.scan(path.join(dir, 'folder', 'train'));
  assert.equal(folder.entries, lmdb.entries);
  const cfg = evalConfig(28, 3);
  const [a] = await collect(new Loader(folder, { batchSize: 50, augment: cfg }), 0);
  const [b] = await collect(new Loader(lmdb, { batchSize: 50, augment: cfg }), 0);
  assert.equal([...a.y], [...b.y]);
  for (let i = 0; i < a.x.length; i++) assert.ok(Math.abs(a.x[i] - b.x[i]) < 1e-6, `element ${i}`);
});

test('datasets from code: a seeded split of the LMDB entries', async () => {
  const { train, val } = splitEntries(lmdb.entries, 0.2, 9);
  const ds = LmdbDataset.open(path.join(dir, 'lmdb', 'train'), val);
  try {
    assert.is(train.length + val.length, N);
    const [b] = await collect(new Loader(ds, { batchSize: 100, augment: evalConfig(28, 1) }), 0);
    assert.equal([...b.y], val.map((e) => e.label));
  } finally {
    ds.close();
  }
});

test('a read error in a prefetched batch surfaces with the record named', async () => {
  const ds = LmdbDataset.open(path.join(dir, 'lmdb', 'train'), [...lmdb.entries.slice(0, 40), { key: '3_Dress/missing.png', label: 3 }]);
  try {
    await collect(new Loader(ds, { batchSize: 8, augment: evalConfig(28, 1), prefetch: 3 }), 0);
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, "record '3_Dress/missing.png': not in the database");
  } finally {
    ds.close();
  }
});

test.after(() => {
  lmdb.close();
  fs.rmSync(dir, { recursive: true, force: true });
});
test.run();
