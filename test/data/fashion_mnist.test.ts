import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LmdbDataset } from '../../nas/data/dataset.js';
import { classFolder, importFashionMnist, readFashionMnist } from '../../nas/data/fashion_mnist.js';
import { readIdx } from '../../nas/data/idx.js';
import { RAW } from '../../nas/data/record.js';
import { idxImage, tempDir, throwsWith } from './util.js';

const dir = tempDir('fmnist');
const N = 40;

test('IDX headers: 60000 + 10000 images of 28x28 with labels', () => {
  const tr = readFashionMnist('train'), te = readFashionMnist('t10k');
  assert.equal([tr.n, tr.rows, tr.cols, tr.labels.length], [60000, 28, 28, 60000]);
  assert.equal([te.n, te.labels.length], [10000, 10000]);
});

test('folder import: PNG pixels and class folders match the IDX source', async () => {
  const counts = await importFashionMnist({ out: path.join(dir, 'folder'), format: 'folder', limit: N });
  assert.equal(counts, { train: N, test: N });
  for (const [split, out] of [['train', 'train'], ['t10k', 'test']] as const) {
    for (let i = 0; i < N; i++) {
      const { pixels, label } = idxImage(split, i);
      const file = path.join(dir, 'folder', out, `${label}_${['T-shirt_top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle_boot'][label]}`, `${String(i).padStart(5, '0')}.png`);
      assert.is((await sharp(file).metadata()).channels, 1, `${file} is not a grey PNG`);
      const { data, info } = await sharp(file).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
      assert.equal([info.width, info.height, info.channels], [28, 28, 1]);
      assert.ok(data.equals(pixels), `${file} differs from IDX image ${i}`);
    }
    const total = fs.readdirSync(path.join(dir, 'folder', out)).filter((c) => !c.startsWith('.'))
      .reduce((s, c) => s + fs.readdirSync(path.join(dir, 'folder', out, c)).length, 0);
    assert.is(total, N);
  }
});

test('folder import: the same import again is a no-op, another one is refused', async () => {
  await importFashionMnist({ out: path.join(dir, 'folder'), format: 'folder', limit: N });
  await throwsWith(() => importFashionMnist({ out: path.join(dir, 'folder'), format: 'folder', limit: N + 1 }), 'already exists', 'train');
});

test('LMDB import: raw records equal the IDX bytes and labels', async () => {
  await importFashionMnist({ out: path.join(dir, 'lmdb'), format: 'lmdb', limit: N });
  const ds = LmdbDataset.open(path.join(dir, 'lmdb', 'test'));
  try {
    assert.is(ds.entries.length, N);
    assert.is(ds.classes[9], classFolder(9));
    for (let i = 0; i < N; i++) {
      const { pixels, label } = idxImage('t10k', i);
      const j = ds.entries.findIndex((e) => e.key.endsWith(`/${String(i).padStart(5, '0')}.png`));
      const r = ds.read(j);
      assert.equal([r.kind, r.width, r.height, r.channels, r.label, ds.entries[j].label], [RAW, 28, 28, 1, label, label]);
      assert.ok(Buffer.from(r.payload).equals(pixels));
    }
  } finally {
    ds.close();
  }
});

test('IDX errors name the file: bad magic, truncated data, missing directory', async () => {
  const bad = path.join(dir, 'bad.idx');
  fs.writeFileSync(bad, Buffer.from([1, 2, 8, 1, 0, 0, 0, 1, 7]));
  await throwsWith(() => readIdx(bad), bad, 'magic');
  fs.writeFileSync(bad, Buffer.from([0, 0, 8, 1, 0, 0, 0, 5, 7, 7]));
  await throwsWith(() => readIdx(bad), bad, 'need 13 bytes', 'has 10');
  await throwsWith(() => readFashionMnist('train', path.join(dir, 'nowhere')), 'nowhere', 'setup --data');
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
test.run();
