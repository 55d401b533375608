// densenas lut build: measures every distinct op of a search space on this adapter and writes a
// keyed latency table; re-running resumes an interrupted build.
import type { Argv } from 'yargs';
import { destroy, init } from '../../engine/runtime.js';
import { buildCostTable, spaceOpDescs, writeCostTable } from '../../nas/cost_table.js';
import { calibrateTable, measureOp } from '../../nas/latency.js';
import { silentReporter, streamReporter } from '../../nas/progress.js';
import { buildSpace } from '../../nas/space.js';
import { configFrom, jsonOption, withConfig } from '../options.js';

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
  .option('json', jsonOption)
  .demandOption('config');

export async function handler(a: { config: string; set: string[]; out: string; batch: number; runs: number; warmup: number; repeat: number; calibrate: number; inputSize?: number; json: boolean }): Promise<void> {
  for (const k of ['batch', 'runs', 'repeat'] as const) if (!Number.isInteger(a[k]) || a[k] < 1) throw new Error(`--${k} must be a positive integer, got ${a[k]}`);
  if (!Number.isInteger(a.calibrate) || a.calibrate < 0) throw new Error(`--calibrate must be an integer >= 0, got ${a.calibrate}`);
  const cfg = configFrom(a);
  if (a.inputSize !== undefined) cfg.data.input_size = [cfg.data.input_size[0], a.inputSize, a.inputSize];
  const space = buildSpace(cfg);
  const descs = spaceOpDescs(space, a.batch);
  const rt = await init();
  const reporter = a.json ? silentReporter : streamReporter();
  try {
    const bar = reporter.phase(`lut ${a.out}`, descs.length, 0);
    const bn = { eps: space.netType === 'mbv2' ? cfg.optim.bn_eps : 1e-5, momentum: cfg.optim.bn_momentum };
    const table = await buildCostTable(descs, async (d) => {
      const t = await measureOp(d, { runs: a.runs, warmup: a.warmup, repeat: a.repeat, bn });
      return { value: t.min, spread: t.spread };
    }, {
      path: a.out, kind: 'latency', units: 'ms', device: rt.device.info.description, batch: a.batch,
      onProgress: (done) => bar.update(done),
    });
    bar.done();
    if (a.calibrate > 0 && !table.calibration) {
      const cal = reporter.phase('calibrate', a.calibrate, 0);
      table.calibration = await calibrateTable(table, space, cfg, { networks: a.calibrate, runs: a.runs, onProgress: (n) => cal.update(n) });
      cal.done();
      writeCostTable(a.out, table);
    }
    if (a.json) {
      console.log(JSON.stringify({ out: a.out, ops: Object.keys(table.entries).length, device: rt.device.info.description, batch: a.batch, calibration: table.calibration ?? null }));
      return;
    }
    const scale = table.calibration ? `, scaled by ${table.calibration.scale.toFixed(3)} to fit ${table.calibration.ratios.length} whole networks` : '';
    console.log(`${Object.keys(table.entries).length} ops measured on ${rt.device.info.description} at batch ${a.batch}${scale}: ${a.out}`);
  } finally {
    destroy();
  }
}

