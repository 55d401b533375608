// densenas sample: N distinct random architectures of a space whose table cost lies in the band
// a search with that target derives into, each written as a net_config pair ready for retrain.
import type { Argv } from 'yargs';
import { sampleArchitectures } from '../nas/api.js';
import { configFrom, fmt, jsonOption, withConfig } from './options.js';

export const command = 'sample';
export const describe = 'random architectures of the space at a cost target, as net_config pairs: the baseline a search must beat';
export const builder = (y: Argv) => withConfig(y)
  .option('table', { type: 'string', describe: 'latency table (densenas lut build); not needed with --set optim.sub_obj.type=flops' })
  .option('target', { type: 'number', demandOption: true, describe: "cost target in the table's units" })
  .option('target-form', { type: 'string', choices: ['upper', 'two_sided'], describe: "default: the config's optim.sub_obj.target_form" })
  .option('tolerance', { type: 'number', describe: "two_sided band half-width as a fraction of the target (default: the config's optim.sub_obj.target_tolerance)" })
  .option('count', { type: 'number', default: 8, describe: 'how many distinct architectures' })
  .option('seed', { type: 'number', default: 0, describe: 'seed of the draws' })
  .option('out', { type: 'string', demandOption: true, describe: 'folder; architecture i goes to OUT/arch-i/net_config(.json)' })
  .option('json', jsonOption);

interface Args { config?: string; set: string[]; table?: string; target: number; targetForm?: string; tolerance?: number; count: number; seed: number; out: string; json: boolean }

export function handler(a: Args): void {
  if (!(a.target > 0)) throw new Error(`--target must be a positive cost, got ${a.target}`);
  if (!Number.isInteger(a.count) || a.count < 1) throw new Error(`--count must be a positive integer, got ${a.count}`);
  if (!Number.isInteger(a.seed) || a.seed < 0) throw new Error(`--seed must be a non-negative integer, got ${a.seed}`);
  if (a.tolerance !== undefined && !(a.tolerance >= 0 && a.tolerance < 1)) throw new Error(`--tolerance must be in [0, 1), got ${a.tolerance}`);
  const { table, band, archs } = sampleArchitectures(configFrom(a), { ...a, targetForm: a.targetForm as 'upper' | 'two_sided' | undefined });
  const records = archs.map(({ net: _net, ...r }) => r);
  if (a.json) { console.log(JSON.stringify({ out: a.out, archs: records })); return; }
  for (const r of records) console.log(`arch-${r.index}: ${table.kind} ${r.table_cost === null ? 'n/a' : fmt(r.table_cost)} ${table.units}, ${fmt(r.params / 1e6)} M params, ${fmt(r.madds / 1e6, 2)} M madds: ${r.arch}`);
  console.log(`${records.length} architectures in [${fmt(band.lo)}, ${fmt(band.hi)}] ${table.units} written under ${a.out}`);
}
