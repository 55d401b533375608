// The plots of a run: read the run directory once, draw each plot, write SVG and PNG. A search
// run (it has arch.jsonl) gets the supernet, architecture weights and search curves; a retrain
// run its training curves.
import { existsSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { archWeightsPlot } from './arch_weights.js';
import { curvesPlot } from './curves.js';
import { readRetrainRun, retrainCurvesPlot } from './retrain_curves.js';
import { readRun } from './run.js';
import { supernetPlot } from './supernet.js';
import { writePlot } from './svg.js';

export { readRun, type RunData } from './run.js';

/** Writes the run's plots (.svg and .png) to outDir (default RUN/plots); returns the paths. */
export async function writeRunPlots(runDir: string, outDir = join(runDir, 'plots')): Promise<string[]> {
  const isRetrain = existsSync(join(runDir, 'metrics.jsonl')) && !existsSync(join(runDir, 'arch.jsonl')) && existsSync(join(runDir, 'net_config.json'));
  const plots = isRetrain ? [retrainCurvesPlot([readRetrainRun(runDir)])] : (() => {
    const run = readRun(runDir);
    return [supernetPlot(run), archWeightsPlot(run), curvesPlot(run)];
  })();
  mkdirSync(outDir, { recursive: true });
  const files: string[] = [];
  for (const plot of plots) files.push(...await writePlot(outDir, plot));
  return files;
}

/** One figure of several retrain runs' curves (labels default to the folder names). */
export async function writeComparePlot(runDirs: string[], outDir: string, labels?: string[]): Promise<string[]> {
  const runs = runDirs.map((d, i) => readRetrainRun(d, labels?.[i] ?? basename(d)));
  mkdirSync(outDir, { recursive: true });
  return writePlot(outDir, retrainCurvesPlot(runs));
}
