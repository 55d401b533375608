// densenas bench search: supernet step throughput and peak GPU memory for a search config.
import type { Argv } from 'yargs';
import { benchSearch, SEARCH_BENCH_COLUMNS } from '../../bench/search.js';
import { makeReport, printTable, writeJson } from '../../bench/report.js';
import { destroy, init } from '../../engine/runtime.js';
import { flopsTable, resolveCosts } from '../../nas/cost_table.js';
import { buildSpace } from '../../nas/space.js';
import { configFrom, integerOptions, jsonOption, withConfig } from '../options.js';

export const command = 'search';
export const describe = 'images per second and peak GPU memory of the supernet\'s weight, arch and validation steps, '
  + 'and of a retrain step';
export const builder = (y: Argv) => withConfig(y)
  .option('steps', { type: 'number', default: 5, describe: 'timed steps per phase' })
  .option('warmup', { type: 'number', default: 2, describe: 'untimed steps first' })
  .check(integerOptions({ steps: 1, warmup: 0 }))
  .option('out', { type: 'string', describe: 'also write the report to this JSON file' })
  .option('json', jsonOption)
  .option('net', {
    type: 'string',
    describe: 'net_config of the retrain row (default: configs/fmnist_baseline_mbv2.net_config; MobileNetV2 spaces only)',
  })
  .demandOption('config');

export async function handler(a: { config: string; set: string[]; steps: number; warmup: number; out?: string; json: boolean; net?: string }):
    Promise<void> {
  const cfg = configFrom(a), space = buildSpace(cfg);
  // The costs only feed the arch step's cost term, which takes no GPU time: counted FLOPs serve.
  const { costs } = resolveCosts(space, flopsTable(space), { skipReg: cfg.optim.sub_obj.skip_reg });
  const rt = await init();
  try {
    const rows = await benchSearch(cfg, space, costs, { steps: a.steps, warmup: a.warmup, net: a.net });
    const report = makeReport('search', rows, { adapter: rt.device.info, config: a.config });
    if (a.out) writeJson(a.out, report);
    if (a.json) { console.log(JSON.stringify(report)); return; }
    console.log(`adapter: ${rt.device.info.description}; config ${a.config}`);
    printTable(rows, SEARCH_BENCH_COLUMNS);
  } finally {
    destroy();
  }
}
