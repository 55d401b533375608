// The plots of a run: read the run directory once, draw each plot, write SVG and PNG. A search
// run (it has arch.jsonl) gets the supernet, architecture weights and search curves; a retrain
// run its training curves.
import { existsSync, mkdirSync } from 'node:fs';
import { writeFileAtomic } from '../io.js';
import { basename, join } from 'node:path';
import { archWeightsPlot } from './arch_weights.js';
import { curvesPlot } from './curves.js';
import { paretoPlot, paretoSummary, readParetoPoint, type ParetoGroup, type RankQuality } from './pareto.js';
import { readRetrainRun, retrainCurvesPlot } from './retrain_curves.js';
import { readRun } from './run.js';
import { supernetPlot } from './supernet.js';
import { type Plot, writePlot } from './svg.js';

export { readRun, type RunData } from './run.js';

/** A retrain run has metrics and a net_config but no arch.jsonl (a search run's). */
const isRetrainRun = (runDir: string) => existsSync(join(runDir, 'metrics.jsonl')) && !existsSync(join(runDir, 'arch.jsonl')) && existsSync(join(runDir, 'net_config.json'));

function runPlots(runDir: string): Plot[] {
  if (isRetrainRun(runDir)) return [retrainCurvesPlot([readRetrainRun(runDir)])];
  const run = readRun(runDir);
  return [supernetPlot(run), archWeightsPlot(run), curvesPlot(run)];
}

async function writePlots(outDir: string, plots: Plot[]): Promise<string[]> {
  mkdirSync(outDir, { recursive: true });
  const files: string[] = [];
  for (const plot of plots) files.push(...await writePlot(outDir, plot));
  return files;
}

/** Writes the run's plots (.svg and .png) to outDir (default RUN/plots); returns the paths (async: a bad run rejects). */
export async function writeRunPlots(runDir: string, outDir = join(runDir, 'plots')): Promise<string[]> {
  return writePlots(outDir, runPlots(runDir));
}

/** One figure of several retrain runs' curves (labels default to the folder names). */
export async function writeComparePlot(runDirs: string[], outDir: string, labels?: string[]): Promise<string[]> {
  for (const d of runDirs) {
    if (!isRetrainRun(d)) {
      throw new Error(`${d} is not a retrain run (${existsSync(join(d, 'arch.jsonl')) ? 'it is a search run' : 'no metrics.jsonl and net_config.json'}): several runs compare only as retrain runs; plot a search run alone`);
    }
  }
  return writePlots(outDir, [retrainCurvesPlot(runDirs.map((d, i) => readRetrainRun(d, labels?.[i] ?? basename(d))))]);
}

/**
 * Finished retrain runs (kept with their cost table) as one scatter of test top-1 against latency,
 * grouped by label, with OUT/pareto.json: the points, each label's mean and spread, and Kendall's
 * tau of the supernet's ranking where the architectures were scored (densenas score).
 */
export async function writeParetoPlot(runDirs: string[], outDir: string, labels?: string[]): Promise<{ files: string[]; groups: ParetoGroup[]; ranking: RankQuality[] }> {
  const points = runDirs.map((d, i) => readParetoPoint(d, labels?.[i] ?? basename(d)));
  const summary = paretoSummary(points);
  const files = await writePlots(outDir, [paretoPlot(points)]);
  const json = join(outDir, 'pareto.json');
  writeFileAtomic(json, JSON.stringify({ points, ...summary }, null, 1) + '\n');
  return { files: [...files, json], ...summary };
}
