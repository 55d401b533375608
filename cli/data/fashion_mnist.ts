// densenas data fashion-mnist: Debian's Fashion-MNIST IDX files as an image folder or LMDBs.
import type { Argv } from 'yargs';
import { FASHION_MNIST_DIR, importFashionMnist } from '../../nas/data/fashion_mnist.js';
import { integerOptions, jsonOption } from '../options.js';

export const command = 'fashion-mnist';
export const describe = 'import Fashion-MNIST into OUT/{train,test} (PNG folders or LMDBs)';
export const builder = (y: Argv) => y
  .option('out', { type: 'string', demandOption: true, describe: 'output directory' })
  .option('format', { choices: ['folder', 'lmdb'] as const, default: 'folder' as const, describe: 'class folders of PNGs, or LMDBs of raw records' })
  .option('limit', { type: 'number', describe: 'import only the first N images of each split' })
  .check(integerOptions({ limit: 1 }))
  .option('source', { type: 'string', default: FASHION_MNIST_DIR, describe: 'directory of the IDX files' })
  .option('json', jsonOption);
export async function handler(a: { out: string; format: 'folder' | 'lmdb'; limit?: number; source: string; json: boolean }): Promise<void> {
  const counts = await importFashionMnist(a);
  if (a.json) { console.log(JSON.stringify({ out: a.out, format: a.format, images: counts })); return; }
  for (const [split, n] of Object.entries(counts)) console.log(`${a.out}/${split}: ${n} images (${a.format})`);
}
