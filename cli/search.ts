// densenas search: the DenseNAS search on a data directory, into a run directory.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv } from 'yargs';
import { destroy, init } from '../engine/runtime.js';
import { loadConfig } from '../nas/config.js';
import { costsFromFile, flopsTable, resolveCosts } from '../nas/cost_table.js';
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
  .option('table', { type: 'string', describe: 'latency table (densenas lut build, or an original positional table)' })
  .option('set', setOption);

export async function handler(a: { config?: string; data: string; out: string; resume: boolean; table?: string; set: string[] }): Promise<void> {
  const saved = join(a.out, 'config.yaml');
  const files = a.resume && existsSync(saved) ? [saved] : a.config ? [a.config] : [];
  if (!files.length) throw new Error('--config is required for a new search');
  const cfg = loadConfig(files, a.set);
  const space = buildSpace(cfg);
  const sub = cfg.optim.sub_obj, skipReg = sub.skip_reg;
  let table, costs;
  if (sub.type === 'flops') {
    table = flopsTable(space);
    const r = resolveCosts(space, table, { skipReg });
    costs = r.costs;
  } else {
    const path = a.table ?? (existsSync(join(a.out, 'cost_table.json')) ? join(a.out, 'cost_table.json') : sub.latency_list_path);
    if (!path) throw new Error('a latency search needs a table: pass --table FILE (build one with "densenas lut build --config ... --out FILE") or set optim.sub_obj.latency_list_path, or search FLOPs with --set optim.sub_obj.type=flops');
    ({ table, costs } = costsFromFile(path, space, { skipReg }));
  }
  const rt = await init();
  const reporter = streamReporter();
  try {
    reporter.line(`search on ${rt.device.info.description}: ${space.numNodes} nodes, ${cfg.train_params.epochs} epochs, cost ${table.kind} (${table.units}) from ${table.device}`);
    const r = await runSearch({ cfg, space, costs, table, data: a.data, out: a.out, resume: a.resume, reporter });
    if (r.interrupted) { destroy(); process.exit(130); }
    console.log(`Derived arch: ${formatArch(r.net)}`);
    console.log(`params ${(r.summary.params / 1e6).toFixed(3)} M, multiply-adds ${(r.summary.madds / 1e6).toFixed(2)} M, ${table.kind} ${r.summary.cost?.toFixed(3) ?? 'n/a'} ${table.units}`);
    const { final, uniform } = r.entropy, share = final / uniform;
    console.log(`architecture weights: mean op entropy ${final.toFixed(3)} nats, ${(100 * share).toFixed(1)}% of uniform (${uniform.toFixed(3)})`
      + (share > 0.97 ? ': they barely moved, so the derived architecture is close to a pick at random (more architecture steps,'
        + ' a larger optim.arch.alpha_lr, or a supernet that learns more: search_params.weight_sharing)' : ''));
    console.log(`run directory ${a.out}: net_config, net_config.json, metrics.jsonl, arch.jsonl, checkpoint.safetensors`);
  } finally {
    destroy();
  }
}
