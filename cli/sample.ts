// densenas sample: N distinct random architectures of a space whose table cost lies in the band
// a search with that target derives into, each written as a net_config pair ready for retrain.
import { join } from 'node:path';
import type { Argv } from 'yargs';
import { Random } from '../engine/random.js';
import { summarizeArch } from '../nas/arch_summary.js';
import { costsFromFile, flopsTable, resolveCosts } from '../nas/cost_table.js';
import { costBand, derivedRecord } from '../nas/derive.js';
import { writeNetConfigPair } from '../nas/net_config.js';
import { sampleInBand } from '../nas/sample.js';
import { buildSpace } from '../nas/space.js';
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
  const cfg = configFrom(a), space = buildSpace(cfg), so = cfg.optim.sub_obj;
  let table, costs;
  if (so.type === 'flops') ({ costs } = resolveCosts(space, table = flopsTable(space), { skipReg: so.skip_reg }));
  else {
    if (!a.table) throw new Error('a latency target needs --table FILE (densenas lut build), or --set optim.sub_obj.type=flops');
    ({ table, costs } = costsFromFile(a.table, space, { skipReg: so.skip_reg }));
  }
  const band = costBand(a.target, (a.targetForm as 'upper' | 'two_sided' | undefined) ?? so.target_form, a.tolerance ?? so.target_tolerance);
  const archs = sampleInBand(space, costs, band, a.count, new Random(a.seed));
  const records = archs.map((d, i) => {
    const record = { index: i, seed: a.seed, ...derivedRecord(d, summarizeArch(d.net, cfg, table), table.units), target: band.target, band: [band.lo, band.hi] };
    writeNetConfigPair(join(a.out, `arch-${i}`), d.net, record);
    return record;
  });
  if (a.json) { console.log(JSON.stringify({ out: a.out, archs: records })); return; }
  for (const r of records) console.log(`arch-${r.index}: ${table.kind} ${r.table_cost === null ? 'n/a' : fmt(r.table_cost)} ${table.units}, ${fmt(r.params / 1e6)} M params, ${fmt(r.madds / 1e6, 2)} M madds: ${r.arch}`);
  console.log(`${records.length} architectures in [${fmt(band.lo)}, ${fmt(band.hi)}] ${table.units} written under ${a.out}`);
}
