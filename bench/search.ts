// The search benchmark: images per second of the supernet's weight, architecture and validation
// steps at the config's shapes, and of the retrain loop's step on a derived network, each step
// awaited as the loops run them (wall-clock, readbacks included), with the GPU memory each step
// needs at its peak.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SGD } from '../engine/optim/sgd.js';
import { Random } from '../engine/random.js';
import { runtime } from '../engine/runtime.js';
import { median } from '../engine/timing.js';
import type { Config } from '../nas/config.js';
import type { ResolvedCosts } from '../nas/cost_chain.js';
import type { Batch } from '../nas/data/loader.js';
import { derivedFor } from '../nas/derived.js';
import { readNetConfig } from '../nas/net_config.js';
import { retrainStep } from '../nas/retrain.js';
import { SearchModel, type Phase } from '../nas/search_step.js';
import type { SearchSpace } from '../nas/space.js';
import type { Row } from './report.js';

export const SEARCH_BENCH_COLUMNS = ['step', 'policy', 'batch', 'median ms', 'images/s', 'peak MiB', 'dispatches'];

/** The network the retrain row trains: the MobileNetV2-style baseline of the Fashion-MNIST configs. */
export const RETRAIN_BENCH_NET = join(dirname(fileURLToPath(import.meta.url)), '../../configs/fmnist_baseline_mbv2.net_config');

export async function benchSearch(cfg: Config, space: SearchSpace, costs: ResolvedCosts,
                                  o: { steps: number; warmup: number; net?: string }): Promise<Row[]> {
  const rt = runtime(), rng = new Random(0);
  const model = new SearchModel(cfg, space, costs, rng);
  const n = cfg.data.batch_size, [c, h, w] = cfg.data.input_size;
  const x = new Float32Array(n * h * w * c);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  const batch: Batch = { x, y: Int32Array.from({ length: n }, (_, i) => i % space.numClasses), n, shape: [n, h, w, c] };
  const rows: Row[] = [];
  const time = async (step: string, policy: string, run: () => Promise<unknown>) => {
    for (let i = 0; i < o.warmup; i++) await run();
    const base = rt.pool.memory().liveBytes;
    rt.pool.resetPeak();
    const d0 = rt.queue.dispatchCount, ms: number[] = [];
    for (let i = 0; i < o.steps; i++) {
      const t0 = performance.now();
      await run();
      ms.push(performance.now() - t0);
    }
    const m = median(ms);
    rows.push({
      step, policy, batch: n, 'median ms': m, 'images/s': (1000 * n) / m,
      'peak MiB': (rt.pool.memory().peakBytes - base) / 2 ** 20, dispatches: Math.round((rt.queue.dispatchCount - d0) / o.steps),
    });
  };
  const cases: Array<[Phase, 'uniform' | 'prob' | 'all']> = [['weight', 'uniform'], ['arch', 'prob'], ['valid', 'all']];
  for (const [phase, policy] of cases) await time(phase, policy, () => model.step(phase, batch, policy, rng));
  model.net.dispose();
  if (space.netType === 'mbv2') {
    const net = derivedFor(readNetConfig(o.net ?? RETRAIN_BENCH_NET), cfg, rng, space.numClasses);
    const sgd = new SGD(net.parameters(), { lr: 0.01, momentum: 0.9, weightDecay: 1e-4, nesterov: true });
    await time('retrain', 'derived', () => retrainStep(net, sgd, batch, 0.1, space.numClasses));
    net.dispose();
  }
  return rows;
}
