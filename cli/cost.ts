// densenas cost: the chained expected cost (spec 3.4) of a config's space for given
// architecture parameters, with the cost term of the loss (spec 3.5).
import type { Argv } from 'yargs';
import { expectedCost } from '../nas/api.js';
import { configFrom, fmt, jsonOption, withConfig } from './options.js';

export const command = 'cost';
export const describe = 'chained expected cost of a space under uniform or given architecture parameters';
export const builder = (y: Argv) => withConfig(y).demandOption('config')
  .option('table', {
    type: 'string',
    describe: 'cost table (keyed JSON or original positional); default: optim.sub_obj.latency_list_path, '
      + 'or counted FLOPs for sub_obj.type flops',
  })
  .option('uniform', { type: 'boolean', default: false, describe: 'every edge and every op equally likely' })
  .option('params', { type: 'string', describe: 'architecture parameters JSON {betas, head_alphas, stack_alphas}' })
  .option('json', jsonOption)
  .check((a) => {
    if (!!a.uniform === !!a.params) throw new Error('give exactly one of --uniform or --params FILE');
    return true;
  });

export function handler(argv: { config: string; set: string[]; table?: string; uniform: boolean; params?: string; json: boolean }): void {
  const cfg = configFrom(argv);
  const out = expectedCost(cfg, { table: argv.table, params: argv.params });
  if (argv.json) {
    console.log(JSON.stringify(out));
    return;
  }
  for (const m of out.mismatches) console.error(`warning: ${m}`);
  const T = cfg.search_params.softmax_temp, sub = cfg.optim.sub_obj;
  console.log(`expected cost ${fmt(out.cost)} ${out.units} (${argv.uniform ? 'uniform' : argv.params} parameters, temperature ${T})`);
  console.log(`cost loss ${fmt(out.loss, 5)} (lambda_eff ${fmt(out.lambdaEff, 5)}${sub.target !== null ? `, target ${sub.target} ${sub.target_form}` : ''})`);
}
