// Latency on this device: each op description of a cost table built as an engine module and
// timed in eval mode without gradients (as the original's latency_measure_fw, BN not folded)
// by engine/timing.ts. Latency is the fastest of the timed runs: on a shared machine
// interference only adds time, and the median of one network wandered by a third between
// sittings here while the minimum kept within a few per cent.
import { Linear } from '../engine/nn/layers.js';
import { Module, Sequential } from '../engine/nn/module.js';
import { Random } from '../engine/random.js';
import { noGrad, Tensor, tidy } from '../engine/tensor.js';
import { median, timeRuns, type Timing } from '../engine/timing.js';
import { mapArchParams } from './arch_params.js';
import { summarizeArch } from './arch_summary.js';
import { convBnUnit, OpModule, type BnSettings } from './candidates.js';
import type { Config } from './config.js';
import type { CostTable } from './cost_table.js';
import { deriveArch } from './derive.js';
import { derivedFor } from './derived.js';
import { opBlocks } from './op_layers.js';
import type { OpDesc } from './ops.js';
import type { SearchSpace } from './space.js';

/** The module an op description stands for (weights random: latency does not depend on them). */
export function opModule(d: OpDesc, rng: Random, bn: BnSettings): Module {
  if (d.op === 'classifier') return new Linear(d.cin, d.cout, rng);
  return new Sequential(...opBlocks(d, false).map((l) => new OpModule(l, convBnUnit(rng, bn))));
}

/** Times a no-grad forward pass (see engine/timing.ts). */
export function timeForward(forward: () => void, runs: number, warmup: number): Promise<Timing> {
  return timeRuns(() => noGrad(() => tidy(() => { forward(); })), runs, warmup);
}

/**
 * Times one op description with a random input of its shape. Each timed run applies the op
 * `repeat` times back to back and counts a share: inside a network an op follows others without
 * the start-up cost a lone op pays, so lone timings summed over-predict a whole network.
 */
export async function measureOp(
  d: OpDesc, o: { runs: number; warmup: number; repeat?: number; bn: BnSettings; seed?: number },
): Promise<Timing> {
  const rng = new Random(o.seed ?? 0);
  const m = opModule(d, rng, o.bn).eval();
  const x = d.op === 'classifier' ? Tensor.randn([d.batch, d.cin], rng) : Tensor.randn([d.batch, d.in, d.in, d.cin], rng);
  const repeat = o.repeat ?? 4;
  try {
    const t = await timeForward(() => { for (let i = 0; i < repeat; i++) m.forward(x); }, o.runs, o.warmup);
    return { ...t, min: t.min / repeat, median: t.median / repeat, spread: t.spread / repeat };
  } finally {
    x.dispose();
    m.dispose();
  }
}

/**
 * Fits the table's calibration: ops timed alone, even repeated, still sum to more than a whole
 * network takes (it keeps the caches warm from one op to the next), so `networks` random
 * architectures of the space are timed whole and the table is scaled by the median of
 * measured / predicted.
 */
export async function calibrateTable(
  table: CostTable, space: SearchSpace, cfg: Config,
  o: { networks: number; runs: number; seed?: number; onProgress?: (done: number) => void },
): Promise<NonNullable<CostTable['calibration']>> {
  const rng = new Random(o.seed ?? 1);
  const raw: CostTable = { ...table, calibration: undefined };
  const [c, size] = cfg.data.input_size;
  const x = Tensor.randn([table.batch, size, size, c], rng);
  const ratios: number[] = [];
  try {
    for (let i = 0; i < o.networks; i++) {
      const params = mapArchParams(space, (_k, _i, n) => Float64Array.from({ length: n }, () => 2 * rng.normal()));
      const { net } = deriveArch(space, params);
      const predicted = summarizeArch(net, cfg, raw).cost;
      if (predicted === null) throw new Error(`calibration: the table lacks ops of the space (build it for this config first)`);
      const m = derivedFor(net, cfg, rng).eval();
      try {
        ratios.push((await timeForward(() => m.forward(x), o.runs, 3)).min / predicted);
      } finally {
        m.dispose();
      }
      o.onProgress?.(i + 1);
    }
  } finally {
    x.dispose();
  }
  return { scale: median(ratios), ratios };
}
