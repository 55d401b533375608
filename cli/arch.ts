// densenas arch: parameters and multiply-adds of a derived architecture and, with a cost table,
// its cost summed along the architecture.
import type { Argv } from 'yargs';
import { countArch } from '../nas/api.js';
import { readNetConfig } from '../nas/net_config.js';
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
  const shape = { inputSize: argv.inputSize, inChannels: argv.inChannels, stemStride: argv.stemStride, classes: argv.classes };
  const out = countArch(readNetConfig(argv.netConfig), shape, { table: argv.table, config: argv.config ? configFrom(argv) : undefined });
  if (argv.json) {
    console.log(JSON.stringify(out));
    return;
  }
  console.log(`Derived arch: ${out.arch}`);
  console.log(`Total ${out.totalLayers} layers.`);
  console.log(`input ${argv.inChannels}x${argv.inputSize}x${argv.inputSize}, stem stride ${argv.stemStride}, ${argv.classes} classes`);
  console.log(`params ${out.params} (${fmt(out.params / 1e6, 2)} M)`);
  console.log(`multiply-adds ${out.madds} (${fmt(out.madds / 1e6, 2)} M)`);
  if ('table' in out) {
    for (const m of out.mismatches) console.error(`warning: ${m}`);
    const t = out.table;
    if (out.cost === null) console.log(`${t.kind}: incomplete, the table lacks ${out.missing.length} op(s):\n  ${out.missing.join('\n  ')}`);
    else console.log(`${t.kind} ${fmt(out.cost)} ${t.units} (batch ${t.batch}, ${t.device})`);
  }
}
