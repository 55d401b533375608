// densenas export: a retrain run's best model with batch norm folded into the convolutions, as
// DIR/model.safetensors and DIR/net_config.json, checked against the unfolded model.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Argv } from 'yargs';
import { Random } from '../engine/random.js';
import { destroy, init } from '../engine/runtime.js';
import { noGrad, Tensor, tidy } from '../engine/tensor.js';
import { derivedBn, type DerivedNet } from '../nas/derived.js';
import { exportFolded, isFoldedDir } from '../nas/export.js';
import { openTrained } from '../nas/validate.js';

export const command = 'export';
export const describe = 'write a retrained model with batch norm folded, for inference';
export const builder = (y: Argv) => y
  .option('run', { type: 'string', demandOption: true, describe: 'retrain run directory' })
  .option('out', { type: 'string', demandOption: true, describe: 'output model directory' })
  .option('weights', { type: 'string', describe: 'weights file instead of the run\'s best' });

export async function handler(a: { run: string; out: string; weights?: string }): Promise<void> {
  if (isFoldedDir(a.run)) throw new Error(`${a.run} is already an exported (folded) model`);
  // Writing into a run would replace its net_config.json with the folded form that retrain, validate and plot cannot use.
  if (resolve(a.out) === resolve(a.run)) throw new Error(`--out ${a.out} is the run directory itself: export into a folder of its own`);
  if (existsSync(join(a.out, 'config.yaml')) && existsSync(join(a.out, 'net_config.json')) && !isFoldedDir(a.out)) {
    throw new Error(`--out ${a.out} holds a run (config.yaml, net_config.json): export into a folder of its own`);
  }
  await init();
  try {
    const t = openTrained(a.run, a.weights);
    const table = join(a.run, 'cost_table.json');
    const model = t.model as DerivedNet;
    const folded = await exportFolded(model.eval(), t.cfg, derivedBn(t.net, t.cfg.optim.bn_eps, t.cfg.optim.bn_momentum).eps, a.out, existsSync(table) ? table : undefined);
    // The folded model must give the unfolded eval-mode logits: check on a random batch.
    const [c, size] = t.cfg.data.input_size;
    const x = Tensor.randn([8, size, size, c], new Random(1));
    const [ref, got] = await Promise.all([model, folded].map((m) => noGrad(() => tidy(() => m.forward(x))).toArray()));
    const scale = Math.max(...ref.map(Math.abs)), diff = Math.max(...ref.map((v, i) => Math.abs(v - got[i])));
    console.log(`exported ${t.weights} to ${a.out}: model.safetensors, net_config.json${existsSync(table) ? ', cost_table.json' : ''}`);
    console.log(`folded vs unfolded logits on a random batch: max |difference| ${diff.toExponential(2)} (logits up to ${scale.toFixed(3)})`);
  } finally {
    destroy();
  }
}
