// densenas plot: the plots of a search run directory (supernet with the derived path,
// architecture weights over epochs, accuracy and cost curves) as SVG and PNG.
import type { Argv } from 'yargs';
import { writeRunPlots } from '../nas/plots/index.js';

export const command = 'plot';
export const describe = 'draw a search run: supernet and derived path, architecture weights, curves (SVG and PNG)';
export const builder = (y: Argv) => y
  .option('run', { type: 'string', demandOption: true, describe: 'search run directory (densenas search --out)' })
  .option('out', { type: 'string', describe: 'folder for the plots (default RUN/plots)' });

export async function handler(a: { run: string; out?: string }): Promise<void> {
  for (const f of await writeRunPlots(a.run, a.out)) console.log(f);
}
