// densenas search: the DenseNAS search on a data directory, into a run directory.
import type { Argv } from 'yargs';
import { destroy, search } from '../nas/api.js';
import { formatArch } from '../nas/net_config.js';
import { runReporter } from '../nas/progress.js';
import { jsonOption, setOption } from './options.js';

export const command = 'search';
export const describe = 'search an architecture: supernet training with architecture and weight phases';
export const builder = (y: Argv) => y
  .option('config', { type: 'string', describe: 'search config YAML (with --resume, the run\'s own config.yaml is used)' })
  .option('data', { type: 'string', demandOption: true, describe: 'images: a folder (its train/ part) or an LMDB, as the data commands write them' })
  .option('out', { type: 'string', demandOption: true, describe: 'run directory' })
  .option('resume', { type: 'boolean', default: false, describe: 'continue the run in --out from its checkpoint' })
  .option('force', { type: 'boolean', default: false, describe: 'delete an existing run in --out first' })
  .option('table', { type: 'string', describe: 'latency table (densenas lut build, or an original positional table)' })
  .option('set', setOption)
  .option('json', jsonOption);

export async function handler(a: { config?: string; data: string; out: string; resume: boolean; force: boolean; table?: string; set: string[]; json: boolean }): Promise<void> {
  const reporter = runReporter();
  try {
    const r = await search({ ...a, reporter });
    if (r.interrupted) { destroy(); process.exit(130); }
    const out = {
      out: a.out, epochs: r.epochs, arch: formatArch(r.net), params: r.summary.params, madds: r.summary.madds, cost: r.summary.cost,
      units: r.table.units, kind: r.table.kind, mean_op_entropy: r.entropy.final, uniform_op_entropy: r.entropy.uniform,
      arch_op_entropy_share: r.entropy.archShare,
    };
    if (a.json) { console.log(JSON.stringify(out)); return; }
    console.log(`Derived arch: ${out.arch}`);
    console.log(`params ${(r.summary.params / 1e6).toFixed(3)} M, multiply-adds ${(r.summary.madds / 1e6).toFixed(2)} M, ${r.table.kind} ${r.summary.cost?.toFixed(3) ?? 'n/a'} ${r.table.units}`);
    const { final, uniform, archShare } = r.entropy, share = final / uniform;
    console.log(`architecture weights: mean op entropy ${final.toFixed(3)} nats, ${(100 * share).toFixed(1)}% of uniform (${uniform.toFixed(3)}); `
      + `on the derived architecture's rows ${(100 * archShare).toFixed(1)}% of uniform`
      + (share > 0.97 ? ': they barely moved, so the derived architecture is close to a pick at random (more architecture steps,'
        + ' a larger optim.arch.alpha_lr, or a supernet that learns more: search_params.weight_sharing)' : ''));
    console.log(`run directory ${a.out}: net_config, net_config.json, metrics.jsonl, arch.jsonl, checkpoint.safetensors`);
  } finally {
    destroy();
  }
}
