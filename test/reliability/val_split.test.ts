// The retrain's validation split (train_params.val_fraction): per class, round(fraction * n) of
// each class's images, seeded (the same seed gives the same split, another seed another), and
// disjoint from the images that train; with data.limit, drawn from the limited subset.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { defaultConfig } from '../../nas/config.js';
import type { Dataset } from '../../nas/data/dataset.js';
import { splitTrainImages } from '../../nas/search_data.js';
import { Random } from '../../engine/random.js';

/** A dataset of keys only, with uneven classes (not multiples of anything). */
function fakeDataset(counts: number[]): Dataset {
  const entries = counts.flatMap((n, label) => Array.from({ length: n }, (_, i) => ({ key: `c${label}/${String(i).padStart(5, '0')}.png`, label })));
  new Random(1).shuffle(entries);   // listing order must not matter
  return { source: 'fake', classes: counts.map((_, i) => `c${i}`), entries, read: () => { throw new Error('not read'); }, where: (i) => entries[i].key, close() {} };
}

const cfgWith = (seed: number, limit: number | null = null) => {
  const cfg = defaultConfig();
  cfg.train_params.seed = seed;
  cfg.data.limit = limit;
  return cfg;
};

test('per class, round(fraction * n) images are held out, disjoint from training, covering every image', () => {
  const counts = [37, 120, 5, 61], ds = fakeDataset(counts);
  for (const f of [0.1, 0.25, 0.5]) {
    const { train, val } = splitTrainImages(cfgWith(0), ds, f, 'train_params.val_fraction');
    counts.forEach((n, label) => {
      assert.is(val.filter((e) => e.label === label).length, Math.round(f * n), `class ${label} at ${f}`);
      assert.is(train.filter((e) => e.label === label).length, n - Math.round(f * n));
    });
    const trainKeys = new Set(train.map((e) => e.key));
    assert.ok(val.every((e) => !trainKeys.has(e.key)), 'no validation image trains');
    assert.equal(new Set([...trainKeys, ...val.map((e) => e.key)]), new Set(ds.entries.map((e) => e.key)));
  }
});

test('the split is seeded: the same seed and images give the same split in any listing order, another seed another', () => {
  const a = splitTrainImages(cfgWith(3), fakeDataset([50, 70]), 0.2, 'k');
  const b = splitTrainImages(cfgWith(3), { ...fakeDataset([50, 70]), entries: [...fakeDataset([50, 70]).entries].reverse() }, 0.2, 'k');
  const c = splitTrainImages(cfgWith(4), fakeDataset([50, 70]), 0.2, 'k');
  assert.equal(a.val.map((e) => e.key), b.val.map((e) => e.key));
  assert.not.equal(a.val.map((e) => e.key), c.val.map((e) => e.key));
});

test('with data.limit the split is of the limited subset; a split that leaves a side empty is an error naming the key', () => {
  const ds = fakeDataset([400, 300]);
  const { train, val } = splitTrainImages(cfgWith(0, 100), ds, 0.1, 'train_params.val_fraction');
  assert.is(train.length + val.length, 100);
  assert.throws(() => splitTrainImages(cfgWith(0), fakeDataset([3, 2]), 0.1, 'train_params.val_fraction'), /5 images cannot be split .* with train_params\.val_fraction 0\.1/);
});

test.run();
