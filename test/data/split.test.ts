import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readClassMap, readList, scanImageFolder } from '../../nas/data/folder.js';
import { Random } from '../../engine/random.js';
import { selectClasses, splitEntries, writeSplit } from '../../nas/data/split.js';
import { tempDir, throwsWith } from './util.js';

const dir = tempDir('split');
const root = path.join(dir, 'images');
// Class folders created in reverse order, files named so that creation order differs from sorted order.
const CLASSES = ['zebra', 'ant', 'Moth', 'bee', 'cat'];
const PER_CLASS = [7, 10, 3, 12, 5];
CLASSES.forEach((c, k) => {
  fs.mkdirSync(path.join(root, c), { recursive: true });
  for (let i = PER_CLASS[k] - 1; i >= 0; i--) fs.writeFileSync(path.join(root, c, `img${(i * 7919) % 101}.png`), '');
  fs.writeFileSync(path.join(root, c, 'notes.txt'), 'not an image');
});
const read = (d: string) => Object.fromEntries(['train.txt', 'val.txt', 'classes.json'].map((f) => [f, fs.readFileSync(path.join(d, f), 'utf8')]));

test('classes sorted by code units, labels by that order', () => {
  writeSplit({ images: root, out: path.join(dir, 'all'), valFraction: 0.2, seed: 0 });
  assert.equal(readClassMap(path.join(dir, 'all', 'classes.json')), ['Moth', 'ant', 'bee', 'cat', 'zebra']);
  assert.equal(selectClasses(CLASSES, 2), ['Moth', 'ant']);
});

test('same seed: identical files; another seed: different split; always a partition', () => {
  const a = path.join(dir, 'a'), b = path.join(dir, 'b'), c = path.join(dir, 'c');
  writeSplit({ images: root, out: a, valFraction: 0.3, seed: 7 });
  writeSplit({ images: root, out: b, valFraction: 0.3, seed: 7 });
  writeSplit({ images: root, out: c, valFraction: 0.3, seed: 8 });
  assert.equal(read(a), read(b));
  assert.not.equal(read(a)['val.txt'], read(c)['val.txt']);
  const classes = readClassMap(path.join(a, 'classes.json'));
  const train = readList(path.join(a, 'train.txt'), classes), val = readList(path.join(a, 'val.txt'), classes);
  const all = scanImageFolder(root).map((e) => e.key).sort();
  assert.equal([...train, ...val].map((e) => e.key).sort(), all);
  // round(0.3 n) of each class in val
  classes.forEach((cls, label) => {
    const n = PER_CLASS[CLASSES.indexOf(cls)];
    assert.is(val.filter((e) => e.label === label).length, Math.round(0.3 * n), cls);
    assert.ok(val.every((e) => e.key.startsWith(classes[e.label] + '/')));
  });
});

test('re-running replaces old lists instead of appending', () => {
  const d = path.join(dir, 'rerun');
  fs.mkdirSync(d);
  fs.writeFileSync(path.join(d, 'val.txt'), 'stale/line.png\n');
  writeSplit({ images: root, out: d, valFraction: 0.5, seed: 1 });
  const first = read(d);
  writeSplit({ images: root, out: d, valFraction: 0.5, seed: 1 });
  assert.equal(read(d), first);
  assert.not.ok(first['val.txt'].includes('stale'));
  assert.equal(fs.readdirSync(d).sort(), ['classes.json', 'train.txt', 'val.txt']);   // no temporary files left
});

test('first N classes or a seeded random choice', () => {
  const first = writeSplit({ images: root, out: path.join(dir, 'n3'), classes: 3, valFraction: 0.2, seed: 0 });
  assert.equal(first.classes, ['Moth', 'ant', 'bee']);
  const r1 = selectClasses(CLASSES, 3, true, 1), r1b = selectClasses(CLASSES, 3, true, 1);
  assert.equal(r1, r1b);
  assert.equal(r1, [...r1].sort());
  const choices = new Set([1, 2, 3, 4, 5, 6, 7, 8].map((s) => selectClasses(CLASSES, 3, true, s).join()));
  assert.ok(choices.size > 1, 'every seed chose the same classes');
  assert.throws(() => selectClasses(CLASSES, 6), /6 classes out of 5/);
});

test('splitEntries from code: stratified, deterministic, fraction 0 and 1', () => {
  const rng = new Random(3);
  const entries = Array.from({ length: 200 }, (_, i) => ({ key: `c${i % 4}/${rng.nextU32()}`, label: i % 4 }));
  const s1 = splitEntries(entries, 0.25, 5), s2 = splitEntries([...entries].reverse(), 0.25, 5);
  assert.equal(s1, s2);   // input order does not matter
  for (let l = 0; l < 4; l++) assert.is(s1.val.filter((e) => e.label === l).length, 13);   // round(0.25 * 50)
  assert.is(splitEntries(entries, 0, 5).val.length, 0);
  assert.is(splitEntries(entries, 1, 5).train.length, 0);
});

test('bad input names the path: missing root, empty class folder, unknown class in a list, bad class map', async () => {
  await throwsWith(() => writeSplit({ images: path.join(dir, 'missing'), out: path.join(dir, 'x'), valFraction: 0.2, seed: 0 }), path.join(dir, 'missing'), 'does not exist');
  const empty = path.join(dir, 'with-empty');
  fs.mkdirSync(path.join(empty, 'a'), { recursive: true });
  fs.writeFileSync(path.join(empty, 'a', '1.png'), '');
  fs.mkdirSync(path.join(empty, 'b'));
  await throwsWith(() => writeSplit({ images: empty, out: path.join(dir, 'y'), valFraction: 0.2, seed: 0 }), path.join(empty, 'b'), 'no images');
  const list = path.join(dir, 'list.txt');
  fs.writeFileSync(list, 'ant/img1.png\nwasp/img2.png\n');
  await throwsWith(() => readList(list, ['ant', 'bee']), list, 'line 2', 'wasp');
  const map = path.join(dir, 'classes.json');
  fs.writeFileSync(map, '{"ant": 0, "bee": 5}');
  await throwsWith(() => readClassMap(map), map, 'bee');
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
test.run();
