// densenas plot: the plots of a run directory as SVG and PNG. A search run: supernet with the
// derived path, architecture weights over epochs, accuracy and cost curves. A retrain run: its
// training curves. Several retrain runs: one figure comparing their curves.
import type { Argv } from 'yargs';
import { writeComparePlot, writeParetoPlot, writeRunPlots } from '../nas/plots/index.js';
import { fmt, jsonOption } from './options.js';

export const command = 'plot';
export const describe = 'draw a run: a search (supernet and derived path, architecture weights, curves) or retrains (curves), SVG and PNG';
export const builder = (y: Argv) => y
  .option('run', { type: 'string', array: true, demandOption: true, describe: 'run directory (search or retrain); several retrain runs: one figure comparing them' })
  .option('label', { type: 'string', array: true, describe: 'legend names of the runs (default: their folder names)' })
  .option('out', { type: 'string', describe: 'folder for the plots (default RUN/plots; needed for several runs)' })
  .option('pareto', { type: 'boolean', default: false, describe: 'finished retrain runs as test top-1 against latency, grouped by label (random ones in a band), with Kendall tau of supernet scores' })
  .option('json', jsonOption);

export async function handler(a: { run: string[]; label?: string[]; out?: string; pareto: boolean; json: boolean }): Promise<void> {
  if ((a.run.length > 1 || a.pareto) && !a.out) throw new Error(`--out is needed ${a.pareto ? 'for --pareto' : 'to compare several runs'}`);
  if (a.label && a.label.length !== a.run.length) throw new Error(`--label: ${a.label.length} label(s) for ${a.run.length} run(s)`);
  if (a.pareto) {
    const r = await writeParetoPlot(a.run, a.out!, a.label);
    if (a.json) { console.log(JSON.stringify(r)); return; }
    for (const g of r.groups) {
      const t = g.test_top1;
      console.log(`${g.label}: ${g.n} run(s) at ${fmt(g.latency, 1)} ms, test top-1 ${fmt(t.mean, 2)} ± ${fmt(t.std, 2)} % (${fmt(t.min, 2)} to ${fmt(t.max, 2)})`);
    }
    for (const q of r.ranking) console.log(`supernet ${q.supernet_run}: Kendall tau ${fmt(q.tau, 2)} over ${q.n} architectures`);
    for (const f of r.files) console.log(f);
    return;
  }
  const files = a.run.length > 1 ? await writeComparePlot(a.run, a.out!, a.label) : await writeRunPlots(a.run[0], a.out);
  if (a.json) console.log(JSON.stringify({ files }));
  else for (const f of files) console.log(f);
}
