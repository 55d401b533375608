// densenas lut check: a derived network's latency predicted by a table (summed along the
// architecture) against its whole forward pass measured on this adapter.
import type { Argv } from 'yargs';
import { Random } from '../../engine/random.js';
import { destroy, init } from '../../engine/runtime.js';
import { Tensor } from '../../engine/tensor.js';
import { archShapeOf } from '../../nas/arch_summary.js';
import { opsTableCost, readCostTable } from '../../nas/cost_table.js';
import { derivedFor } from '../../nas/derived.js';
import { timeForward } from '../../nas/latency.js';
import { archOps, formatArch, readNetConfig } from '../../nas/net_config.js';
import { configFrom, fmt, integerOptions, jsonOption, withConfig } from '../options.js';

export const command = 'check';
export const describe = 'predicted (table) against measured latency of a derived network';
export const builder = (y: Argv) => withConfig(y)
  .option('table', { type: 'string', demandOption: true, describe: 'keyed latency table (densenas lut build)' })
  .option('net-config', { type: 'string', demandOption: true, describe: 'net_config, text or JSON' })
  .option('runs', { type: 'number', default: 20 })
  .option('json', jsonOption)
  .check(integerOptions({ runs: 1 }))
  .demandOption('config', 'the config of the space the table was built for (input size, stem, classes)');

export async function handler(a: { config: string; set: string[]; table: string; netConfig: string; runs: number; json: boolean }): Promise<void> {
  const cfg = configFrom(a), table = readCostTable(a.table), net = readNetConfig(a.netConfig);
  const shape = archShapeOf(cfg, cfg.search_params.num_classes, table.batch);
  const predicted = opsTableCost(archOps(net, shape), table);
  if (predicted.missing.length) throw new Error(`${a.table} lacks ${predicted.missing.length} op(s) of this architecture (built for another space or input size?):\n  ${predicted.missing.join('\n  ')}`);
  const rt = await init();
  try {
    const rng = new Random(0);
    const model = derivedFor(net, cfg, rng, shape.classes).eval();   // the table's classifier
    const x = Tensor.randn([table.batch, shape.inputSize, shape.inputSize, shape.inChannels], rng);
    const measured = await timeForward(() => model.forward(x), a.runs, 3);
    const out = { arch: formatArch(net), device: rt.device.info.description, table_device: table.device, batch: table.batch, predicted_ms: predicted.total, measured_ms: measured.min, median_ms: measured.median, spread_ms: measured.spread, ratio: measured.min / predicted.total, timer: measured.timer };
    if (a.json) console.log(JSON.stringify(out));
    else {
      console.log(`${out.arch}`);
      console.log(`predicted ${fmt(out.predicted_ms)} ms (table from ${table.device}), measured ${fmt(out.measured_ms)} ms (fastest of ${a.runs}; median ${fmt(out.median_ms)}) on ${out.device}, batch ${table.batch}: measured/predicted ${fmt(out.ratio)}`);
    }
  } finally {
    destroy();
  }
}
