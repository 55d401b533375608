// densenas search: the DenseNAS search on a data directory, into a run directory.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv } from 'yargs';
import { destroy, init } from '../engine/runtime.js';
import { loadConfig } from '../nas/config.js';
import { chooseCosts } from '../nas/cost_table.js';
import { streamReporter } from '../nas/progress.js';
import { runSearch } from '../nas/search.js';
import { buildSpace } from '../nas/space.js';
import { formatArch } from '../nas/net_config.js';
import { setOption } from './options.js';

export const command = 'search';
export const describe = 'search an architecture: supernet training with architecture and weight phases';
export const builder = (y: Argv) => y
  .option('config', { type: 'string', describe: 'search config YAML (with --resume, the run\'s own config.yaml is used)' })
  .option('data', { type: 'string', demandOption: true, describe: 'images: a folder (its train/ part) or an LMDB, as the data commands write them' })
  .option('out', { type: 'string', demandOption: true, describe: 'run directory' })
  .option('resume', { type: 'boolean', default: false, describe: 'continue the run in --out from its checkpoint' })
  .option('table', {
    type: 'string',
    describe: 'cost table (densenas lut build, or an original positional table); default: the run\'s own, '
      + 'then optim.sub_obj.latency_list_path, or counted FLOPs for sub_obj.type flops',
  })
  .option('set', setOption);

export async function handler(a: { config?: string; data: string; out: string; resume: boolean; table?: string; set: string[] }): Promise<void> {
  const saved = join(a.out, 'config.yaml');
  const files = a.resume && existsSync(saved) ? [saved] : a.config ? [a.config] : [];
  if (!files.length) throw new Error('--config is required for a new search');
  const cfg = loadConfig(files, a.set);
  const space = buildSpace(cfg);
  const { table, costs } = chooseCosts(space, cfg.optim.sub_obj, a.table, join(a.out, 'cost_table.json'));
  const rt = await init();
  const reporter = streamReporter();
  try {
    reporter.line(`search on ${rt.device.info.description}: ${space.numNodes} nodes, ${cfg.train_params.epochs} epochs, cost ${table.kind} (${table.units}) from ${table.device}`);
    const r = await runSearch({ cfg, space, costs, table, data: a.data, out: a.out, resume: a.resume, reporter });
    if (r.interrupted) { destroy(); process.exit(130); }
    console.log(`Derived arch: ${formatArch(r.net)}`);
    console.log(`params ${(r.summary.params / 1e6).toFixed(3)} M, multiply-adds ${(r.summary.madds / 1e6).toFixed(2)} M, ${table.kind} ${r.summary.cost?.toFixed(3) ?? 'n/a'} ${table.units}`);
    console.log(`run directory ${a.out}: net_config, net_config.json, metrics.jsonl, arch.jsonl, checkpoint.safetensors`);
  } finally {
    destroy();
  }
}
