// densenas data read: one batch through the loader, summarised (a check that the data path works).
import type { Argv } from 'yargs';
import { evalConfig, FASHION_MNIST_STATS, IMAGENET_STATS, trainConfig } from '../../nas/data/augment.js';
import { openDataset } from '../../nas/data/dataset.js';
import { Loader } from '../../nas/data/loader.js';
import { integerOptions, jsonOption } from '../options.js';

export const command = 'read';
export const describe = 'read one batch from an LMDB or image folder and print its shape, labels and value range';
export const builder = (y: Argv) => y
  .option('data', { type: 'string', demandOption: true, describe: 'LMDB directory or image root' })
  .option('list', { type: 'string', describe: 'restrict to the images of a list' })
  .option('batch', { type: 'number', default: 16 })
  .option('size', { type: 'number', default: 28 })
  .option('channels', { choices: [1, 3] as const, default: 1 as const })
  .option('train', { type: 'boolean', default: false, describe: 'training augmentation (random resized crop, flip)' })
  .option('stats', { choices: ['fashion-mnist', 'imagenet'] as const, default: 'fashion-mnist' as const, describe: 'normalisation mean and std' })
  .option('seed', { type: 'number', default: 0 })
  .check(integerOptions({ batch: 1, size: 1, seed: 0 }))
  .option('json', jsonOption);
export async function handler(a: {
  data: string; list?: string; batch: number; size: number; channels: 1 | 3; train: boolean; stats: 'fashion-mnist' | 'imagenet'; seed: number; json: boolean;
}): Promise<void> {
  const ds = openDataset(a.data, { list: a.list });
  try {
    const stats = a.stats === 'imagenet' ? IMAGENET_STATS : FASHION_MNIST_STATS;
    const cfg = a.train ? trainConfig(a.size, a.channels, stats) : evalConfig(a.size, a.channels, stats);
    const loader = new Loader(ds, { batchSize: a.batch, augment: cfg, seed: a.seed, shuffle: true, prefetch: 0 });
    const { value: b } = await loader.epoch(0).next();
    if (!b) throw new Error(`${a.data}: no batch`);
    let lo = Infinity, hi = -Infinity, sum = 0;
    for (const v of b.x) { lo = Math.min(lo, v); hi = Math.max(hi, v); sum += v; }
    if (a.json) { console.log(JSON.stringify({ source: ds.source, images: ds.entries.length, classes: ds.classes.length, shape: b.shape, min: lo, max: hi, mean: sum / b.x.length, labels: [...b.y] })); return; }
    console.log(`${ds.source}: ${ds.entries.length} images, ${ds.classes.length} classes`);
    console.log(`batch x [${b.shape.join(', ')}] float32 NHWC, min ${lo.toFixed(3)} max ${hi.toFixed(3)} mean ${(sum / b.x.length).toFixed(3)}`);
    console.log(`labels ${[...b.y].join(' ')}`);
  } finally {
    ds.close();
  }
}
