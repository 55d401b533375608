// densenas cost: the chained expected cost (spec 3.4) of a config's space for given
// architecture parameters, with the cost term of the loss (spec 3.5).
import type { Argv } from 'yargs';
import { archParamsFromJson, zeroArchParams } from '../nas/arch_params.js';
import { chainedCost } from '../nas/cost_chain.js';
import { costLoss, costLossOptions } from '../nas/cost_loss.js';
import { chooseCosts } from '../nas/cost_table.js';
import { readText } from '../nas/io.js';
import { buildSpace } from '../nas/space.js';
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
  const space = buildSpace(cfg);
  const { costs, table, mismatches } = chooseCosts(space, cfg.optim.sub_obj, argv.table);
  const units = table.units;
  const params = argv.params ? archParamsFromJson(readText(argv.params, 'arch params'), space, argv.params) : zeroArchParams(space);
  const { cost } = chainedCost(space, costs, params, { temperature: cfg.search_params.softmax_temp, expectOver: 'all' });
  const loss = costLoss(cost, costLossOptions(cfg));
  const out = { cost, units, loss: loss.value, dLossdC: loss.dC, lambdaEff: cfg.optim.sub_obj.sub_loss_factor / Math.log(cfg.optim.sub_obj.log_base), mismatches };
  if (argv.json) {
    console.log(JSON.stringify(out));
    return;
  }
  for (const m of mismatches) console.error(`warning: ${m}`);
  console.log(`expected cost ${fmt(cost)} ${units} (${argv.uniform ? 'uniform' : argv.params} parameters, temperature ${cfg.search_params.softmax_temp})`);
  console.log(`cost loss ${fmt(loss.value, 5)} (lambda_eff ${fmt(out.lambdaEff, 5)}${cfg.optim.sub_obj.target !== null ? `, target ${cfg.optim.sub_obj.target} ${cfg.optim.sub_obj.target_form}` : ''})`);
}
