// Fashion-MNIST from the IDX files that Debian's dataset-fashion-mnist installs, written as an
// image folder (<out>/<split>/<class>/<index>.png) or straight into LMDBs (<out>/<split>, raw
// records). Class folders are "<label>_<name>", so their sorted order keeps the data set's labels;
// LMDB keys are the same relative paths, so one list works on both forms.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Progress } from './files.js';
import { readIdx } from './idx.js';
import { fromPixels, packEntries } from './pack.js';
import { RAW } from './record.js';
import { makeDir } from '../io.js';
import type { Entry } from './folder.js';

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** Label order from the data set's README. */
export const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

export const FASHION_MNIST_SPLITS = ['train', 't10k'] as const;
export type FashionMnistSplit = (typeof FASHION_MNIST_SPLITS)[number];
/** Output folder of each IDX split. */
const OUT_NAME: Record<FashionMnistSplit, string> = { train: 'train', t10k: 'test' };

export const classFolder = (label: number): string => `${label}_${FASHION_MNIST_CLASSES[label].replace(/[/ ]/g, '_')}`;
export const imageKey = (label: number, index: number): string => `${classFolder(label)}/${String(index).padStart(5, '0')}.png`;

export interface FashionMnist {
  n: number;
  rows: number;
  cols: number;
  /** n images of rows x cols bytes, one after the other. */
  images: Uint8Array;
  labels: Uint8Array;
}

/** Reads and checks one split's images and labels. */
export function readFashionMnist(split: FashionMnistSplit, dir = FASHION_MNIST_DIR): FashionMnist {
  if (!fs.existsSync(dir)) {
    throw new Error(`Fashion-MNIST not found at ${dir}: run 'bash scripts/setup --data' as root, or 'apt-get install dataset-fashion-mnist'`);
  }
  const imgFile = path.join(dir, `${split}-images-idx3-ubyte.gz`);
  const lblFile = path.join(dir, `${split}-labels-idx1-ubyte.gz`);
  const img = readIdx(imgFile), lbl = readIdx(lblFile);
  if (img.dims.length !== 3) throw new Error(`${imgFile}: expected 3 dimensions (n, rows, cols), found ${img.dims.length}`);
  if (lbl.dims.length !== 1) throw new Error(`${lblFile}: expected 1 dimension, found ${lbl.dims.length}`);
  const [n, rows, cols] = img.dims;
  if (lbl.dims[0] !== n) throw new Error(`${lblFile}: ${lbl.dims[0]} labels for ${n} images in ${imgFile}`);
  const bad = lbl.data.findIndex((l) => l >= FASHION_MNIST_CLASSES.length);
  if (bad >= 0) throw new Error(`${lblFile}: label ${lbl.data[bad]} at index ${bad} is outside 0..9`);
  return { n, rows, cols, images: img.data, labels: lbl.data };
}

export interface ImportOptions {
  out: string;
  format: 'folder' | 'lmdb';
  limit?: number;
  /** Directory of the IDX files. */
  source?: string;
}

/** densenas data fashion-mnist: returns the number of images written per output split. */
export async function importFashionMnist(o: ImportOptions): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const split of FASHION_MNIST_SPLITS) {
    const d = readFashionMnist(split, o.source);
    const n = Math.min(d.n, o.limit ?? d.n);
    const dest = path.join(o.out, OUT_NAME[split]);
    const pixels = (i: number) => d.images.subarray(i * d.rows * d.cols, (i + 1) * d.rows * d.cols);
    const entries: Entry[] = [];
    for (let i = 0; i < n; i++) entries.push({ key: imageKey(d.labels[i], i), label: d.labels[i] });
    const source = `fashion-mnist ${split} ${n}`;
    if (o.format === 'lmdb') {
      const classes = FASHION_MNIST_CLASSES.map((_, l) => classFolder(l));
      await packEntries(dest, source, classes, entries,
        async (e, i) => ({ kind: RAW, channels: 1, label: e.label, width: d.cols, height: d.rows, payload: pixels(i) }),
        { label: `import ${dest}` });
    } else {
      await writeFolder(dest, source, entries, (i) => fromPixels(pixels(i), d.cols, d.rows, 1).png().toBuffer());
    }
    counts[OUT_NAME[split]] = n;
  }
  return counts;
}

/**
 * Writes the PNGs under <dest>.partial and renames it to dest when all are there; a marker file
 * records the source, so the same import again is a no-op and a different one is refused.
 */
async function writeFolder(dest: string, source: string, entries: Entry[], png: (index: number) => Promise<Buffer>): Promise<void> {
  const marker = path.join(dest, '.source');
  if (fs.existsSync(dest)) {
    const old = fs.existsSync(marker) ? fs.readFileSync(marker, 'utf8') : '(unknown)';
    if (old === source) return;
    throw new Error(`${dest} already exists from another import (${old}); remove it to import again`);
  }
  const tmp = `${dest}.partial`;
  fs.rmSync(tmp, { recursive: true, force: true });   // left by an interrupted import
  for (let l = 0; l < FASHION_MNIST_CLASSES.length; l++) makeDir(path.join(tmp, classFolder(l)));
  const progress = new Progress(`import ${dest}`, entries.length);
  const chunk = 512;
  for (let s = 0; s < entries.length; s += chunk) {
    const part = entries.slice(s, s + chunk);
    const files = await Promise.all(part.map((_, j) => png(s + j)));
    part.forEach((e, j) => fs.writeFileSync(path.join(tmp, e.key), files[j]));
    progress.tick(s + part.length);
  }
  progress.end(entries.length);
  fs.writeFileSync(path.join(tmp, '.source'), source);
  fs.renameSync(tmp, dest);
}
