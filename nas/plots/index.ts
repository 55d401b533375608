// The plots of a search run: read the run directory once, draw each plot, write SVG and PNG.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { archWeightsPlot } from './arch_weights.js';
import { curvesPlot } from './curves.js';
import { readRun } from './run.js';
import { supernetPlot } from './supernet.js';
import { writePlot } from './svg.js';

export { readRun, type RunData } from './run.js';

/** Writes supernet, arch_weights and curves (.svg and .png) to outDir (default RUN/plots); returns the paths. */
export async function writeRunPlots(runDir: string, outDir = join(runDir, 'plots')): Promise<string[]> {
  const run = readRun(runDir);
  mkdirSync(outDir, { recursive: true });
  const files: string[] = [];
  for (const plot of [supernetPlot(run), archWeightsPlot(run), curvesPlot(run)]) files.push(...await writePlot(outDir, plot));
  return files;
}
