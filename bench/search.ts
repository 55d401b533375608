// The search benchmark: images per second of the supernet's weight, architecture and validation
// steps at the config's shapes, and the GPU memory each step needs at its peak.
import { Random } from '../engine/random.js';
import { runtime } from '../engine/runtime.js';
import type { Config } from '../nas/config.js';
import type { ResolvedCosts } from '../nas/cost_chain.js';
import type { Batch } from '../nas/data/loader.js';
import { median } from '../engine/timing.js';
import { SearchModel, type Phase } from '../nas/search_step.js';
import type { SearchSpace } from '../nas/space.js';
import type { Row } from './report.js';

export const SEARCH_BENCH_COLUMNS = ['step', 'policy', 'batch', 'median ms', 'images/s', 'peak MiB', 'dispatches'];

export async function benchSearch(cfg: Config, space: SearchSpace, costs: ResolvedCosts, o: { steps: number; warmup: number }): Promise<Row[]> {
  const rt = runtime(), rng = new Random(0);
  const model = new SearchModel(cfg, space, costs, rng);
  const n = cfg.data.batch_size, [c, h, w] = cfg.data.input_size;
  const x = new Float32Array(n * h * w * c);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  const batch: Batch = { x, y: Int32Array.from({ length: n }, (_, i) => i % space.numClasses), n, shape: [n, h, w, c] };
  const rows: Row[] = [];
  const cases: Array<[Phase, 'uniform' | 'prob' | 'all']> = [['weight', 'uniform'], ['arch', 'prob'], ['valid', 'all']];
  for (const [phase, policy] of cases) {
    for (let i = 0; i < o.warmup; i++) await model.step(phase, batch, policy, rng);
    const base = rt.pool.memory().liveBytes;
    rt.pool.resetPeak();
    const d0 = rt.queue.dispatchCount, ms: number[] = [];
    for (let i = 0; i < o.steps; i++) {
      const t0 = performance.now();
      await model.step(phase, batch, policy, rng);
      ms.push(performance.now() - t0);
    }
    const m = median(ms);
    rows.push({
      step: phase, policy, batch: n, 'median ms': m, 'images/s': (1000 * n) / m,
      'peak MiB': (rt.pool.memory().peakBytes - base) / 2 ** 20, dispatches: Math.round((rt.queue.dispatchCount - d0) / o.steps),
    });
  }
  model.net.dispose();
  return rows;
}
