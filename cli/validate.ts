// densenas validate: a trained model (retrain run or exported directory) on DIR/test: accuracy,
// loss, throughput, size, multiply-adds, and latency measured here and predicted by a table.
import type { Argv } from 'yargs';
import { destroy, validateModel } from '../nas/api.js';
import { formatArch } from '../nas/net_config.js';
import { streamReporter } from '../nas/progress.js';
import { fmt, integerOptions, jsonOption } from './options.js';

export const command = 'validate';
export const describe = 'evaluate a retrained (or exported) model on DIR/test and time it';
export const builder = (y: Argv) => y
  .option('run', { type: 'string', demandOption: true, describe: 'retrain run directory, or a model directory written by densenas export' })
  .option('data', { type: 'string', demandOption: true, describe: 'data directory with test/' })
  .option('weights', { type: 'string', describe: 'weights file instead of the run\'s best (a model file or a retrain checkpoint)' })
  .option('table', { type: 'string', describe: 'keyed latency table (densenas lut build); default: the run\'s own, if any' })
  .option('batch', { type: 'number', describe: 'evaluation batch (default: the config\'s data.batch_size)' })
  .option('runs', { type: 'number', default: 40, describe: 'timed forward passes (the fastest is the latency)' })
  .option('json', jsonOption)
  .check(integerOptions({ batch: 1, runs: 1 }));

export async function handler(a: { run: string; data: string; weights?: string; table?: string; batch?: number; runs: number; json: boolean }): Promise<void> {
  try {
    const r = await validateModel({ ...a, onLoader: a.json ? undefined : (batches) => streamReporter().phase('validate', batches, 0) });
    const out = { ...r, arch: formatArch(r.arch) };
    if (a.json) { console.log(JSON.stringify(out)); return; }
    const l = r.latency;
    console.log(out.arch);
    console.log(`model        ${r.source}${r.folded ? ' (exported, batch norm folded)' : ''}, weights ${r.weights}`);
    console.log(`test images  ${r.images}`);
    console.log(`top-1        ${fmt(r.top1, 2)} %`);
    console.log(`top-5        ${fmt(r.top5, 2)} %`);
    console.log(`loss         ${fmt(r.loss, 4)}`);
    console.log(`images/s     ${fmt(r.images_per_s, 0)} (evaluation, data loading included)`);
    console.log(`params       ${fmt(r.params / 1e6)} M`);
    console.log(`mult-adds    ${fmt(r.madds / 1e6, 2)} M`);
    console.log(`latency      ${fmt(l.min_ms)} ms (fastest run; median ${fmt(l.median_ms)}) at batch ${l.batch} on ${r.device} (${l.timer})`);
    if (l.predicted_ms !== null) console.log(`predicted    ${fmt(l.predicted_ms)} ms by the table from ${l.table_device}: measured/predicted ${fmt(l.min_ms / l.predicted_ms)}`);
  } finally {
    destroy();
  }
}
