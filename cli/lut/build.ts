// densenas lut build: measures every distinct op of a search space on this adapter and writes a
// keyed latency table; re-running resumes an interrupted build.
import type { Argv } from 'yargs';
import { buildLatencyTable, destroy } from '../../nas/api.js';
import { silentReporter, streamReporter } from '../../nas/progress.js';
import { configFrom, integerOptions, jsonOption, withConfig } from '../options.js';

export const command = 'build';
export const describe = 'measure every candidate op of a space (plus stem, final 1x1 and classifier) into a latency table';
export const builder = (y: Argv) => withConfig(y)
  .option('out', { type: 'string', demandOption: true, describe: 'table file (JSON); an existing one is resumed' })
  .option('batch', { type: 'number', default: 32, describe: 'batch size the ops are timed at' })
  .option('runs', { type: 'number', default: 20, describe: 'timed runs per op (the fastest is stored, max - min as spread)' })
  .option('warmup', { type: 'number', default: 3, describe: 'untimed runs first' })
  .option('calibrate', { type: 'number', default: 8, describe: 'random whole networks of the space timed to scale the table (0: none)' })
  .option('repeat', { type: 'number', default: 4, describe: 'applications of the op per timed run (the table keeps one share)' })
  .option('input-size', { type: 'number', describe: 'image height and width (sets data.input_size)' })
  .check(integerOptions({ batch: 1, runs: 1, warmup: 0, calibrate: 0, repeat: 1, 'input-size': 1 }))
  .option('json', jsonOption)
  .demandOption('config');

export async function handler(a: { config: string; set: string[]; out: string; batch: number; runs: number; warmup: number; repeat: number; calibrate: number; inputSize?: number; json: boolean }): Promise<void> {
  const cfg = configFrom(a);
  if (a.inputSize !== undefined) cfg.data.input_size = [cfg.data.input_size[0], a.inputSize, a.inputSize];
  try {
    const table = await buildLatencyTable(cfg, { ...a, reporter: a.json ? silentReporter : streamReporter() });
    const out = { out: a.out, ops: Object.keys(table.entries).length, device: table.device, batch: a.batch, calibration: table.calibration ?? null };
    if (a.json) { console.log(JSON.stringify(out)); return; }
    const scale = table.calibration ? `, scaled by ${table.calibration.scale.toFixed(3)} to fit ${table.calibration.ratios.length} whole networks` : '';
    console.log(`${out.ops} ops measured on ${table.device} at batch ${a.batch}${scale}: ${a.out}`);
  } finally {
    destroy();
  }
}
