// densenas arch: parameters and multiply-adds of a derived architecture and, with a cost table,
// its cost summed along the architecture.
import type { Argv } from 'yargs';
import { opCounts, sumCounts } from '../nas/counting.js';
import { opsTableCost, readAnyCostTable, type CostTable } from '../nas/cost_table.js';
import { archOps, formatArch, readNetConfig, totalLayers } from '../nas/net_config.js';
import { buildSpace } from '../nas/space.js';
import { configFrom, fmt, jsonOption, withConfig } from './options.js';

export const command = 'arch';
export const describe = 'count a net_config (params, multiply-adds) and sum its cost from a table';
export const builder = (y: Argv) => withConfig(y)
  .option('net-config', { type: 'string', demandOption: true, describe: 'net_config file, original text format or JSON' })
  .option('input-size', { type: 'number', default: 224, describe: 'input height and width' })
  .option('in-channels', { type: 'number', default: 3, describe: 'input channels' })
  .option('stem-stride', { type: 'number', default: 2, choices: [1, 2], describe: 'stride of the stem conv' })
  .option('classes', { type: 'number', default: 1000, describe: 'classifier outputs (the search tables use 100)' })
  .option('table', { type: 'string', describe: 'cost table: keyed JSON, or an original positional table with --config' })
  .option('json', jsonOption);

interface Args { netConfig: string; inputSize: number; inChannels: number; stemStride: number; classes: number; table?: string; config?: string; set: string[]; json: boolean }

export function handler(argv: Args): void {
  for (const k of ['inputSize', 'inChannels', 'classes'] as const) {
    if (!Number.isInteger(argv[k]) || argv[k] < 1) throw new Error(`--${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} must be a positive integer, got ${argv[k]}`);
  }
  const net = readNetConfig(argv.netConfig);
  const shape = { inputSize: argv.inputSize, inChannels: argv.inChannels, stemStride: argv.stemStride, classes: argv.classes, batch: 1 };
  const ops = archOps(net, shape);
  const counts = sumCounts(ops.map((d) => opCounts(d, true)));
  let table: CostTable | undefined, cost: { total: number; missing: string[] } | undefined, mismatches: string[] = [];
  if (argv.table) {
    ({ table, mismatches } = readAnyCostTable(argv.table, argv.config ? buildSpace(configFrom(argv)) : undefined));
    cost = opsTableCost(ops, table);
  }
  const out = {
    arch: formatArch(net), netType: net.netType, totalLayers: totalLayers(net), ...shape,
    params: counts.params, madds: counts.madds,
    ...(table && cost ? { table: { kind: table.kind, units: table.units, device: table.device, batch: table.batch }, cost: cost.missing.length ? null : cost.total, missing: cost.missing, mismatches } : {}),
  };
  if (argv.json) {
    console.log(JSON.stringify(out));
    return;
  }
  for (const m of mismatches) console.error(`warning: ${m}`);
  console.log(`Derived arch: ${out.arch}`);
  console.log(`Total ${out.totalLayers} layers.`);
  console.log(`input ${argv.inChannels}x${argv.inputSize}x${argv.inputSize}, stem stride ${argv.stemStride}, ${argv.classes} classes`);
  console.log(`params ${counts.params} (${fmt(counts.params / 1e6, 2)} M)`);
  console.log(`multiply-adds ${counts.madds} (${fmt(counts.madds / 1e6, 2)} M)`);
  if (table && cost) {
    if (cost.missing.length) console.log(`${table.kind}: incomplete, the table lacks ${cost.missing.length} op(s):\n  ${cost.missing.join('\n  ')}`);
    else console.log(`${table.kind} ${fmt(cost.total)} ${table.units} (batch ${table.batch}, ${table.device})`);
  }
}
