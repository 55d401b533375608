// densenas bench data: loader throughput (decode + augment from LMDB), as a table and JSON.
import type { Argv } from 'yargs';
import { integerOptions } from '../options.js';
import { benchData, DATA_BENCH_COLUMNS } from '../../bench/data.js';
import { makeReport, printTable, writeJson } from '../../bench/report.js';
import { FASHION_MNIST_DIR } from '../../nas/data/fashion_mnist.js';
import { jsonOption } from '../options.js';

export const command = 'data';
export const describe = 'images per second for decode + augment from LMDB (28x28 and 224x224)';
export const builder = (y: Argv) => y
  .option('out', { type: 'string', describe: 'also write the report to this JSON file' })
  .option('json', jsonOption)
  .option('small', { type: 'number', default: 8192, describe: '28x28 images per case' })
  .option('large', { type: 'number', default: 512, describe: '224x224 images per case' })
  .option('batch', { type: 'number', default: 256 })
  .check(integerOptions({ small: 1, large: 1, batch: 1 }))
  .option('source', { type: 'string', default: FASHION_MNIST_DIR, describe: 'directory of the Fashion-MNIST IDX files' });
export async function handler(a: { out?: string; json: boolean; small: number; large: number; batch: number; source: string }): Promise<void> {
  const rows = await benchData({ small: a.small, large: a.large, batchSize: a.batch, source: a.source });
  const report = makeReport('data', rows, { uvThreadpoolSize: Number(process.env.UV_THREADPOOL_SIZE ?? 4) });
  if (a.out) writeJson(a.out, report);
  if (a.json) { console.log(JSON.stringify(report)); return; }
  printTable(rows, DATA_BENCH_COLUMNS);
}
