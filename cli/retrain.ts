// densenas retrain: train a derived architecture from scratch on DIR/train less a held-out
// validation split that chooses the best epoch, reporting that epoch's accuracy on DIR/test.
import type { Argv } from 'yargs';
import { destroy, retrain } from '../nas/api.js';
import { runReporter } from '../nas/progress.js';
import { jsonOption } from './options.js';

export const command = 'retrain';
export const describe = 'retrain a derived architecture (net_config) and keep its best weights';
export const builder = (y: Argv) => y
  .option('net-config', { type: 'string', describe: 'net_config, text or JSON (with --resume, the run\'s own is used)' })
  .option('config', { type: 'string', describe: 'retrain config YAML (with --resume, the run\'s own config.yaml is used)' })
  .option('data', { type: 'string', demandOption: true, describe: 'data directory with train/ and test/ (folders or LMDBs, as the data commands write them)' })
  .option('out', { type: 'string', demandOption: true, describe: 'run directory' })
  .option('resume', { type: 'boolean', default: false, describe: 'continue the run in --out from its checkpoint' })
  .option('force', { type: 'boolean', default: false, describe: 'delete an existing run in --out first' })
  .option('table', { type: 'string', describe: 'keyed latency table (densenas lut build) kept with the run for validate' })
  .option('set', {
    type: 'string', array: true, default: [] as string[],
    describe: 'override a config key: --set train_params.epochs=4 (repeatable)',
  })
  .option('json', jsonOption);

export async function handler(a: { netConfig?: string; config?: string; data: string; out: string; resume: boolean; force: boolean; table?: string; set: string[]; json: boolean }): Promise<void> {
  const reporter = runReporter();
  try {
    const r = await retrain({ ...a, reporter });
    if (r.interrupted) { destroy(); process.exit(130); }
    if (a.json) { console.log(JSON.stringify({ out: a.out, epochs: r.epochs, best: r.best })); return; }
    const b = r.best;
    console.log(b?.test_top1 !== undefined ? `best epoch ${b.epoch} by validation top-1 ${b.val_top1.toFixed(2)}; final test top-1 ${b.test_top1.toFixed(2)} top-5 ${b.test_top5!.toFixed(2)}` : 'no epoch finished');
    console.log(`run directory ${a.out}: best/model.safetensors, best/net_config.json, metrics.jsonl, checkpoint.safetensors`);
  } finally {
    destroy();
  }
}
