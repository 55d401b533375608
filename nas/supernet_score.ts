// How well a search's supernet ranks architectures: each one runs on the supernet's own weights
// (its path, one op per edge: Supernet.forwardChoice) over the search-validation images, with
// batch statistics in BN as the search's own validation has. Set beside the accuracy of the same
// architectures retrained (Kendall tau, nas/metrics.ts), it says whether the supernet's
// preferences, and so the search's choice, mean anything.
import { join } from 'node:path';
import { Random } from '../engine/random.js';
import type { Choice } from './derive.js';
import { readRun } from './plots/run.js';
import type { PhaseBar } from './progress.js';
import { CHECKPOINT } from './resumable_run.js';
import { readCheckpoint } from './run_dir.js';
import { searchLoaders } from './search_data.js';
import type { SearchSpace } from './space.js';
import { Supernet } from './supernet.js';
import { restoreModel } from './training.js';
import { evaluateForward, type Evaluation } from './validate.js';

/** A search run's supernet with the weights of its last checkpoint, and what it was searched with. */
export function openSupernet(run: string): { net: Supernet; space: SearchSpace; cfg: ReturnType<typeof readRun>['cfg'] } {
  const { cfg, space } = readRun(run);
  const net = new Supernet(space, { bnEps: cfg.optim.bn_eps, bnMomentum: cfg.optim.bn_momentum, shareWeights: cfg.search_params.weight_sharing }, new Random(0));
  try {
    restoreSupernet(run, net);
  } catch (e) {
    net.dispose();
    throw e;
  }
  return { net, space, cfg };
}

/** Loads the weights of a search run's last checkpoint into a supernet of its space. */
export function restoreSupernet(run: string, net: Supernet): void {
  const path = join(run, CHECKPOINT);
  restoreModel(path, readCheckpoint(path).tensors, net);
}

/** Each choice's loss and accuracy on the run's search-validation images, on the supernet's weights. */
export async function scoreOnSupernet(run: string, data: string, choices: Choice[], bar?: (i: number, batches: number) => PhaseBar): Promise<Evaluation[]> {
  const { net, cfg } = openSupernet(run);
  try {
    const val = searchLoaders(cfg, data).val;
    net.train();   // batch statistics, as the search's supernet validation (spec 4.1)
    const out: Evaluation[] = [];
    for (const [i, c] of choices.entries()) out.push(await evaluateForward((x) => net.forwardChoice(x, c), val, cfg.search_params.num_classes, bar?.(i, val.batches)));
    return out;
  } finally {
    net.dispose();
  }
}
