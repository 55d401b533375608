// Derivation from a finished (or running) search: the architecture of any recorded epoch, for
// the run's cost target or another one, without searching again. The architecture parameters
// never depend on derivation, so this gives what the search itself derives with that target.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { summarizeArch, type ArchSummary } from './arch_summary.js';
import { costsFromFile, type CostTable } from './cost_table.js';
import { deriveForTarget, targetBand, type CostBand, type TargetDerived } from './derive.js';
import { readText } from './io.js';
import { readRun } from './plots/run.js';
import type { SearchSpace } from './space.js';

export interface RunDeriveOptions {
  /** An epoch number, 'last', or 'best' (the epoch of the run's best/, else the last). */
  epoch: number | 'best' | 'last';
  /** Overrides of the run's optim.sub_obj settings; target null derives without a target. */
  target?: number | null;
  targetForm?: 'upper' | 'two_sided';
  tolerance?: number;
}

export interface RunDerived { epoch: number; derived: TargetDerived; summary: ArchSummary; band?: CostBand; table: CostTable; space: SearchSpace }

export function deriveFromRun(dir: string, o: RunDeriveOptions): RunDerived {
  const run = readRun(dir);
  const so = run.cfg.optim.sub_obj;
  const last = run.arch[run.arch.length - 1].epoch;
  let epoch = o.epoch === 'last' ? last : o.epoch;
  if (epoch === 'best') {
    const best = join(dir, 'best', 'net_config.json');
    epoch = existsSync(best) ? Number(JSON.parse(readText(best, 'net_config')).epoch) : last;
  }
  const at = run.arch.find((a) => a.epoch === epoch);
  if (!at) throw new Error(`${dir}: no architecture parameters recorded for epoch ${epoch} (arch.jsonl has epochs ${run.arch.map((a) => a.epoch).join(', ')})`);
  // the search's own table; skip_reg is not needed: derivation counts a skip layer as free
  const { table, costs } = costsFromFile(join(dir, 'cost_table.json'), run.space, { skipReg: false });
  const band = targetBand({ target: o.target === undefined ? so.target : o.target, target_form: o.targetForm ?? so.target_form, target_tolerance: o.tolerance ?? so.target_tolerance });
  const derived = deriveForTarget(run.space, at.params, costs, band);
  return { epoch, derived, summary: summarizeArch(derived.net, run.cfg, table), band, table, space: run.space };
}
