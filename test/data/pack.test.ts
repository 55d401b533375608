import * as fs from 'node:fs';
import * as path from 'node:path';
import { open } from 'lmdb';
import sharp from 'sharp';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LmdbDataset, openDataset } from '../../nas/data/dataset.js';
import { importFashionMnist } from '../../nas/data/fashion_mnist.js';
import { packImages } from '../../nas/data/pack.js';
import { encodeRecord, ENCODED, RAW } from '../../nas/data/record.js';
import { writeSplit } from '../../nas/data/split.js';
import { tempDir, throwsWith } from './util.js';

const dir = tempDir('pack');
const fm = path.join(dir, 'fm');
const colour = path.join(dir, 'colour');
const lists = path.join(dir, 'lists');

test.before(async () => {
  await importFashionMnist({ out: fm, format: 'folder', limit: 60 });
  writeSplit({ images: path.join(fm, 'train'), out: lists, valFraction: 0.25, seed: 3 });
  // Colour JPEGs and PNGs of different sizes, in two classes.
  for (const [cls, w, h, fmt] of [['blue', 40, 30, 'jpeg'], ['red', 50, 100, 'png']] as const) {
    fs.mkdirSync(path.join(colour, cls), { recursive: true });
    for (let i = 0; i < 3; i++) {
      const img = sharp({ create: { width: w, height: h, channels: 3, background: { r: 40 * i, g: 100, b: 200 } } });
      await (fmt === 'jpeg' ? img.jpeg() : img.png()).toFile(path.join(colour, cls, `${i}.${fmt === 'jpeg' ? 'jpg' : 'png'}`));
    }
  }
});

/** Source pixels as the packer should store them. */
async function pixelsOf(file: string, grey: boolean): Promise<Buffer> {
  return sharp(file).removeAlpha().toColourspace(grey ? 'b-w' : 'srgb').raw().toBuffer();
}

test('pack a list, reopen, and read back every record with its label', async () => {
  const out = path.join(dir, 'train.lmdb');
  const listed = fs.readFileSync(path.join(lists, 'train.txt'), 'utf8').trim().split('\n');
  const r = await packImages({ images: path.join(fm, 'train'), list: path.join(lists, 'train.txt'), out });
  assert.equal([r.count, r.skipped.length, r.alreadyComplete], [listed.length, 0, false]);
  const ds = openDataset(out);
  try {
    assert.equal(ds.entries.map((e) => e.key), listed);
    const classes = JSON.parse(fs.readFileSync(path.join(lists, 'classes.json'), 'utf8'));
    assert.equal(ds.classes, Object.keys(classes));
    for (let i = 0; i < ds.entries.length; i++) {
      const rec = await ds.read(i);
      const label = classes[ds.entries[i].key.split('/')[0]];
      assert.equal([rec.kind, rec.label, ds.entries[i].label, rec.width, rec.height, rec.channels], [RAW, label, label, 28, 28, 1]);   // 28x28: raw under 'auto'
      assert.ok(Buffer.from(rec.payload).equals(await pixelsOf(path.join(fm, 'train', ds.entries[i].key), true)));
    }
  } finally {
    ds.close();
  }
  const again = await packImages({ images: path.join(fm, 'train'), list: path.join(lists, 'train.txt'), out });
  assert.equal([again.count, again.alreadyComplete], [listed.length, true]);
  await throwsWith(() => packImages({ images: path.join(fm, 'train'), list: path.join(lists, 'val.txt'), out }), out, 'different input');
});

test('encoded records keep the file bytes; --size resizes the shorter side and re-encodes', async () => {
  const out = path.join(dir, 'colour.lmdb');
  await packImages({ images: colour, out, store: 'encoded' });
  const ds = LmdbDataset.open(out);
  for (let i = 0; i < ds.entries.length; i++) {
    const rec = ds.read(i);
    const file = path.join(colour, ds.entries[i].key);
    assert.is(rec.kind, ENCODED);
    assert.ok(Buffer.from(rec.payload).equals(fs.readFileSync(file)));
    assert.equal([rec.width, rec.height, rec.channels, rec.label], ds.entries[i].key.startsWith('blue') ? [40, 30, 3, 0] : [50, 100, 3, 1]);
  }
  ds.close();
  const small = path.join(dir, 'colour20.lmdb');
  await packImages({ images: colour, out: small, size: 20, store: 'encoded', quality: 80 });
  const ds2 = LmdbDataset.open(small);
  for (let i = 0; i < ds2.entries.length; i++) {
    const rec = ds2.read(i);
    const meta = await sharp(rec.payload).metadata();
    assert.equal([rec.width, rec.height], ds2.entries[i].key.startsWith('blue') ? [27, 20] : [20, 40]);
    assert.equal([meta.width, meta.height, meta.format], [rec.width, rec.height, ds2.entries[i].key.endsWith('.png') ? 'png' : 'jpeg']);
  }
  ds2.close();
});

test('a corrupt image names its path; --skip-bad skips and counts it', async () => {
  const bad = path.join(dir, 'bad');
  fs.cpSync(colour, bad, { recursive: true });
  fs.writeFileSync(path.join(bad, 'red', '1.png'), fs.readFileSync(path.join(bad, 'red', '1.png')).subarray(0, 60));
  await throwsWith(() => packImages({ images: bad, out: path.join(dir, 'bad1.lmdb') }), path.join(bad, 'red', '1.png'), 'cannot decode');
  const r = await packImages({ images: bad, out: path.join(dir, 'bad2.lmdb'), skipBad: true });
  assert.equal([r.count, r.skipped.length], [5, 1]);
  assert.ok(r.skipped[0].includes(path.join(bad, 'red', '1.png')));
  const ds = LmdbDataset.open(path.join(dir, 'bad2.lmdb'));
  assert.is(ds.entries.length, 5);
  ds.close();
});

test('a list naming a missing image, and a missing image root, are errors naming the file', async () => {
  const list = path.join(dir, 'missing.txt');
  fs.writeFileSync(list, '0_T-shirt_top/99999.png\n');
  fs.copyFileSync(path.join(lists, 'classes.json'), path.join(dir, 'classes.json'));
  await throwsWith(() => packImages({ images: path.join(fm, 'train'), list, out: path.join(dir, 'm.lmdb') }), list, path.join(fm, 'train', '0_T-shirt_top', '99999.png'));
  await throwsWith(() => packImages({ images: path.join(dir, 'nowhere'), out: path.join(dir, 'n.lmdb') }), path.join(dir, 'nowhere'), 'does not exist');
});

test('corrupt database: not an LMDB, unfinished, a damaged record, a label outside the class map', async () => {
  const junk = path.join(dir, 'junk.lmdb');
  fs.mkdirSync(junk);
  fs.writeFileSync(path.join(junk, 'data.mdb'), Buffer.alloc(8192, 0x5a));
  await throwsWith(() => LmdbDataset.open(junk), junk, 'corrupt LMDB');
  await throwsWith(() => packImages({ images: colour, out: junk }), junk, 'corrupt LMDB');
  await throwsWith(() => LmdbDataset.open(path.join(dir, 'no.lmdb')), path.join(dir, 'no.lmdb'), 'no LMDB');

  // Damage a finished database from outside, through lmdb itself.
  const db = path.join(dir, 'damaged.lmdb');
  await packImages({ images: colour, out: db, store: 'encoded' });
  const env = open({ path: db, noSubdir: false, maxDbs: 4 });
  const images = env.openDB<Buffer, string>({ name: 'images', encoding: 'binary' });
  images.putSync('blue/0.jpg', Buffer.from([9, 9, 9]));
  images.putSync('blue/1.jpg', encodeRecord({ kind: RAW, channels: 1, label: 0, width: 4, height: 4, payload: new Uint8Array(10) }));
  images.putSync('blue/2.jpg', encodeRecord({ kind: RAW, channels: 1, label: 7, width: 2, height: 2, payload: new Uint8Array(4) }));
  await env.close();
  const ds = LmdbDataset.open(db);
  await throwsWith(() => ds.read(0), db, "'blue/0.jpg'", 'corrupt record');
  await throwsWith(() => ds.read(1), db, "'blue/1.jpg'", '10 pixel bytes for 4x4x1');
  await throwsWith(() => ds.read(2), db, "'blue/2.jpg'", 'label 7 is outside the class map');
  ds.close();

  const env2 = open({ path: db, noSubdir: false, maxDbs: 4 });
  env2.openDB<unknown, string>({ name: 'meta', encoding: 'json' }).removeSync('complete');
  await env2.close();
  await throwsWith(() => LmdbDataset.open(db), db, 'unfinished');
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
test.run();
