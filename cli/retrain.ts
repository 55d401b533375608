// densenas retrain: train a derived architecture from scratch on DIR/train less a held-out
// validation split that chooses the best epoch, reporting that epoch's accuracy on DIR/test.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv } from 'yargs';
import { destroy, init } from '../engine/runtime.js';
import { loadConfig } from '../nas/config.js';
import { readCostTable } from '../nas/cost_table.js';
import { readNetConfig } from '../nas/net_config.js';
import { streamReporter } from '../nas/progress.js';
import { runRetrain } from '../nas/retrain.js';
import { setOption } from './options.js';

export const command = 'retrain';
export const describe = 'retrain a derived architecture (net_config) and keep its best weights';
export const builder = (y: Argv) => y
  .option('net-config', { type: 'string', describe: 'net_config, text or JSON (with --resume, the run\'s own is used)' })
  .option('config', { type: 'string', describe: 'retrain config YAML (with --resume, the run\'s own config.yaml is used)' })
  .option('data', { type: 'string', demandOption: true, describe: 'data directory with train/ and test/ (folders or LMDBs, as the data commands write them)' })
  .option('out', { type: 'string', demandOption: true, describe: 'run directory' })
  .option('resume', { type: 'boolean', default: false, describe: 'continue the run in --out from its checkpoint' })
  .option('table', { type: 'string', describe: 'keyed latency table (densenas lut build) kept with the run for validate' })
  .option('set', setOption);

export async function handler(a: { netConfig?: string; config?: string; data: string; out: string; resume: boolean; table?: string; set: string[] }): Promise<void> {
  const own = (f: string) => (a.resume && existsSync(join(a.out, f)) ? join(a.out, f) : undefined);
  const cfgFile = own('config.yaml') ?? a.config, netFile = own('net_config.json') ?? a.netConfig;
  if (!cfgFile) throw new Error('--config is required for a new retrain');
  if (!netFile) throw new Error('--net-config is required for a new retrain');
  const cfg = loadConfig([cfgFile], a.set), net = readNetConfig(netFile);
  const tableFile = a.table ?? own('cost_table.json');
  const table = tableFile ? readCostTable(tableFile) : undefined;
  const rt = await init();
  const reporter = streamReporter();
  try {
    reporter.line(`retrain on ${rt.device.info.description}: ${cfg.train_params.epochs} epochs, batch ${cfg.data.batch_size}, lr ${cfg.optim.init_lr} cosine to ${cfg.optim.min_lr}`);
    const r = await runRetrain({ cfg, net, data: a.data, out: a.out, resume: a.resume, table, reporter });
    if (r.interrupted) { destroy(); process.exit(130); }
    const b = r.best;
    console.log(b ? `best epoch ${b.epoch} by validation top-1 ${b.val_top1.toFixed(2)}; final test top-1 ${b.test_top1.toFixed(2)} top-5 ${b.test_top5.toFixed(2)}` : 'no epoch finished');
    console.log(`run directory ${a.out}: best/model.safetensors, best/net_config.json, metrics.jsonl, checkpoint.safetensors`);
  } finally {
    destroy();
  }
}
