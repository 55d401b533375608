// densenas bench data: images per second for read + decode + augment + batch assembly through the
// loader, from LMDBs built here out of real Fashion-MNIST: 28x28 raw and PNG records, and the
// same images enlarged to 320x256 JPEGs for the 224x224 (ImageNet-sized) path.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { evalConfig, FASHION_MNIST_STATS, IMAGENET_STATS, trainConfig, type AugmentConfig } from '../nas/data/augment.js';
import { LmdbDataset } from '../nas/data/dataset.js';
import { classFolder, FASHION_MNIST_CLASSES, FASHION_MNIST_DIR, imageKey, readFashionMnist } from '../nas/data/fashion_mnist.js';
import { Loader } from '../nas/data/loader.js';
import { fromPixels, imageToRecord, packEntries } from '../nas/data/pack.js';
import { RAW, type ImageRecord } from '../nas/data/record.js';
import type { Row } from './report.js';

export interface DataBenchOptions {
  /** 28x28 images per case. */
  small?: number;
  /** 224x224 images per case. */
  large?: number;
  batchSize?: number;
  source?: string;
}

export const DATA_BENCH_COLUMNS = ['name', 'images', 'batch', 'seconds', 'images_per_s', 'ms_per_batch'];

export async function benchData(o: DataBenchOptions = {}): Promise<Row[]> {
  const small = o.small ?? 8192, large = o.large ?? 512, batch = o.batchSize ?? 256;
  const fm = readFashionMnist('train', o.source ?? FASHION_MNIST_DIR);
  const n = Math.max(small, large);
  if (n > fm.n) throw new Error(`at most ${fm.n} images per case`);
  const pixels = (i: number) => fm.images.subarray(i * 784, (i + 1) * 784);
  const classes = FASHION_MNIST_CLASSES.map((_, l) => classFolder(l));
  const entries = (count: number) => Array.from({ length: count }, (_, i) => ({ key: imageKey(fm.labels[i], i), label: fm.labels[i] }));
  const grey = (i: number, w = 28, h = 28) => fromPixels(pixels(i), 28, 28, 1).resize(w, h);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'densenas-bench-data-'));
  try {
    const build = async (name: string, count: number, load: (i: number, label: number) => Promise<ImageRecord>) => {
      const out = path.join(dir, name);
      await packEntries(out, name, classes, entries(count), (e, i) => load(i, e.label), { label: `bench: build ${name}` });
      return out;
    };
    const raw28 = await build('raw28', small, async (i, label) => ({ kind: RAW, channels: 1, label, width: 28, height: 28, payload: pixels(i) }));
    const png28 = await build('png28', small, async (i, label) => imageToRecord(await grey(i).png().toBuffer(), label, 'png', { store: 'encoded' }));
    const jpeg320 = await build('jpeg320x256', large, async (i, label) =>
      imageToRecord(await grey(i, 320, 256).toColourspace('srgb').tint('#d09060').jpeg({ quality: 90 }).toBuffer(), label, 'jpeg', { store: 'encoded' }));

    const cases: [string, string, AugmentConfig][] = [
      ['28x28 raw, train (crop+flip)', raw28, trainConfig(28, 1, FASHION_MNIST_STATS)],
      ['28x28 raw, eval', raw28, evalConfig(28, 1, FASHION_MNIST_STATS)],
      ['28x28 raw -> 3 ch, train', raw28, trainConfig(28, 3, IMAGENET_STATS)],
      ['28x28 PNG (sharp), train', png28, trainConfig(28, 1, FASHION_MNIST_STATS)],
      ['224x224 from 320x256 JPEG, train', jpeg320, trainConfig(224, 3, IMAGENET_STATS)],
      ['224x224 from 320x256 JPEG, eval', jpeg320, evalConfig(224, 3, IMAGENET_STATS, 224 / 256)],
    ];
    const rows: Row[] = [];
    for (const [name, db, cfg] of cases) {
      const ds = LmdbDataset.open(db);
      try {
        const loader = new Loader(ds, { batchSize: batch, augment: cfg, seed: 1 });
        await loader.batch(loader.indices.slice(0, batch), 0);   // warm up: page in, start sharp's threads
        const t0 = performance.now();
        let images = 0;
        for await (const b of loader.epoch(0)) images += b.n;
        const s = (performance.now() - t0) / 1000;
        rows.push({ name, images, batch, seconds: +s.toFixed(3), images_per_s: Math.round(images / s), ms_per_batch: +((s * 1000) / loader.batches).toFixed(2) });
      } finally {
        ds.close();
      }
    }
    return rows;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
