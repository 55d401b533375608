// densenas derive: the architecture of a search run's epoch, for its cost target or another,
// printed and optionally written as net_config and net_config.json for retrain.
import type { Argv } from 'yargs';
import { join } from 'node:path';
import { derivedRecord } from '../nas/derive.js';
import { writeNetConfigPair } from '../nas/net_config.js';
import { deriveFromRun } from '../nas/run_derive.js';
import { fmt, jsonOption } from './options.js';

export const command = 'derive';
export const describe = "derive a search run's architecture again, for its cost target or another, without searching";
export const builder = (y: Argv) => y
  .option('run', { type: 'string', demandOption: true, describe: 'search run directory' })
  .option('epoch', { type: 'string', default: 'best', describe: "epoch number, 'last', or 'best' (the epoch of RUN/best)" })
  .option('target', { type: 'string', describe: "cost target in the table's units, or 'none' for the original derivation (default: the run's optim.sub_obj.target)" })
  .option('target-form', { type: 'string', choices: ['upper', 'two_sided'], describe: "default: the run's optim.sub_obj.target_form" })
  .option('tolerance', { type: 'number', describe: "two_sided band half-width as a fraction of the target (default: the run's optim.sub_obj.target_tolerance)" })
  .option('out', { type: 'string', describe: 'folder to write net_config and net_config.json into' })
  .option('json', jsonOption);

interface Args { run: string; epoch: string; target?: string; targetForm?: string; tolerance?: number; out?: string; json: boolean }

export function handler(a: Args): void {
  if (a.epoch !== 'best' && a.epoch !== 'last' && !/^\d+$/.test(a.epoch)) throw new Error(`--epoch must be an epoch number, 'best' or 'last', got '${a.epoch}'`);
  const target = a.target === undefined ? undefined : a.target === 'none' ? null : Number(a.target);
  if (target !== undefined && target !== null && !(target > 0)) throw new Error(`--target must be a positive cost or 'none', got '${a.target}'`);
  if (a.tolerance !== undefined && !(a.tolerance >= 0 && a.tolerance < 1)) throw new Error(`--tolerance must be in [0, 1), got ${a.tolerance}`);
  const epoch = a.epoch === 'best' || a.epoch === 'last' ? a.epoch : Number(a.epoch);
  const r = deriveFromRun(a.run, { epoch, target, targetForm: a.targetForm as 'upper' | 'two_sided' | undefined, tolerance: a.tolerance });
  const d = r.derived, units = r.table.units;
  const record = {
    epoch: r.epoch, ...derivedRecord(r.space, d, r.summary, units),
    ...(r.band ? { target: r.band.target, band: [r.band.lo, r.band.hi], in_band: d.inBand } : {}),
  };
  if (a.out) writeNetConfigPair(a.out, d.net, record);
  if (a.json) {
    console.log(JSON.stringify(record));
    return;
  }
  console.log(`Derived arch: ${record.arch}`);
  console.log(`Total ${record.layers} layers.`);
  console.log(`epoch ${r.epoch}, path ${d.path.join(' -> ')}, params ${fmt(record.params / 1e6)} M, multiply-adds ${fmt(record.madds / 1e6, 2)} M`);
  console.log(`${r.table.kind} ${record.table_cost === null ? 'n/a' : fmt(record.table_cost)} ${units}` + (r.band ? `, target ${fmt(r.band.target)} ${units} [${fmt(r.band.lo)}, ${fmt(r.band.hi)}]` : ', no target'));
  console.log(d.method === 'viterbi' ? 'derivation: Viterbi path and argmax ops (the original)'
    : `derivation: the most probable architecture ${d.inBand ? 'in the band' : 'nearest the target (none is in the band)'}; the Viterbi one costs ${fmt(d.viterbiCost!)} ${units}`);
  if (a.out) console.log(`wrote ${join(a.out, 'net_config')} and net_config.json`);
}
