// densenas signal: how much of a search's architecture gradient is signal. When the op weights
// of a search do not move, this says whether its batches carry a preference the steps could
// follow (and how many batches it would take), or whether the ops are alike to the supernet.
import type { Argv } from 'yargs';
import { archSignal, destroy } from '../nas/api.js';
import { streamReporter } from '../nas/progress.js';
import { fmt, jsonOption } from './options.js';

export const command = 'signal';
export const describe = "how much of a search run's architecture gradient is signal: its mean and spread over the search-validation batches";
export const builder = (y: Argv) => y
  .option('run', { type: 'string', demandOption: true, describe: 'search run directory (its checkpoint and last architecture parameters)' })
  .option('data', { type: 'string', demandOption: true, describe: "the search's images: its search-validation split is used" })
  .option('json', jsonOption);

export async function handler(a: { run: string; data: string; json: boolean }): Promise<void> {
  try {
    const reporter = streamReporter();
    const s = await archSignal({ ...a, bar: a.json ? undefined : (n) => reporter.phase('gradients', n, 0) });
    if (a.json) { console.log(JSON.stringify({ run: a.run, ...s })); return; }
    const e = (v: number) => (Number.isFinite(v) ? v.toExponential(2) : String(v));
    console.log(`architecture gradient of ${a.run} at the end of epoch ${s.epoch}, ${s.batches} search-validation batches, ${s.logits} of ${s.logits_total} op logits with a gradient:`);
    console.log(`  ${'gradient'.padEnd(10)} ${'beyond 2 se'.padStart(12)} ${'signal/noise'.padStart(13)} ${'batches to decide'.padStart(18)} ${'mean |g|'.padStart(10)} ${'sd a batch'.padStart(10)}`);
    for (const [name, g] of [['supernet', s.fit], ['+ cost', s.total]] as const) {
      console.log(`  ${name.padEnd(10)} ${`${fmt(100 * g.significant, 1)} %`.padStart(12)} ${fmt(g.snr_median, 3).padStart(13)} ${fmt(g.batches_to_decide_median, 0).padStart(18)} ${e(g.mean_abs).padStart(10)} ${e(g.sd).padStart(10)}`);
    }
    console.log(`  (medians over op logits; about 4.6 % are beyond 2 standard errors where all is noise; the search has ${s.arch_steps} arch steps;`);
    console.log(`  the cost term's gradient is ${e(s.cost_term_abs)} a logit on average)`);
  } finally {
    destroy();
  }
}
