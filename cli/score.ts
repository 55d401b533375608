// densenas score: architectures run on a search's supernet with its own weights (no retraining),
// the supernet's view of them; set beside their retrained accuracy (densenas plot --pareto), it
// measures how well the supernet ranks architectures (Kendall tau).
import type { Argv } from 'yargs';
import { destroy, scoreArchitectures } from '../nas/api.js';
import { streamReporter } from '../nas/progress.js';
import { fmt, jsonOption } from './options.js';

export const command = 'score <archs..>';
export const describe = "accuracy of architectures (folders from sample, derive or a search) on a search run's supernet, inherited weights";
export const builder = (y: Argv) => y
  .positional('archs', { type: 'string', array: true, describe: 'folders with a net_config.json that names its path and ops' })
  .option('run', { type: 'string', demandOption: true, describe: 'search run directory (its checkpoint holds the supernet)' })
  .option('data', { type: 'string', demandOption: true, describe: "the search's images: its search-validation split is scored" })
  .option('json', jsonOption);

export async function handler(a: { archs?: string[]; run: string; data: string; json: boolean }): Promise<void> {
  const archs = a.archs ?? [];
  try {
    const reporter = streamReporter();
    const scores = await scoreArchitectures({ ...a, dirs: archs, bar: a.json ? undefined : (i, n) => reporter.phase(`score ${i + 1}/${archs.length}`, n, 0) });
    if (a.json) { console.log(JSON.stringify({ run: a.run, scores })); return; }
    for (const s of scores) console.log(`${s.dir}: supernet top-1 ${fmt(s.supernet_top1, 2)} %, loss ${fmt(s.supernet_loss, 4)}, table ${s.table_cost === null ? 'n/a' : fmt(s.table_cost)}`);
    console.log(`written into each net_config.json as supernet_top1, supernet_loss, supernet_run`);
  } finally {
    destroy();
  }
}
