// Latency on this device: each op description of a cost table built as an engine module and
// timed in eval mode without gradients (as the original's latency_measure_fw, BN not folded),
// by GPU timestamps where the adapter has them, else by queue completion; warm-up discarded.
import { BatchNorm2d, Conv2d, Linear } from '../engine/nn/layers.js';
import { MBConv } from '../engine/nn/blocks.js';
import { Module, Sequential } from '../engine/nn/module.js';
import { Random } from '../engine/random.js';
import { runtime } from '../engine/runtime.js';
import { noGrad, Tensor, tidy } from '../engine/tensor.js';
import { candidateModule } from './candidates.js';
import { median } from './metrics.js';
import type { OpDesc } from './ops.js';

/** The module an op description stands for (weights random: latency does not depend on them). */
export function opModule(d: OpDesc, rng: Random, bn: { eps: number; momentum: number }): Module {
  const s = d.stride as 1 | 2;
  switch (d.op) {
    case 'stem_mbv2': return new Sequential(new Conv2d(d.cin, d.mid!, 3, s, rng), new BatchNorm2d(d.mid!, { ...bn, affine: false, activation: 'relu6' }), new MBConv(d.mid!, d.cout, 3, 1, 1, rng, { bn }));
    case 'stem_res': return new Sequential(new Conv2d(d.cin, d.cout, 3, s, rng), new BatchNorm2d(d.cout, { activation: 'relu' }));
    case 'conv1_1': return new Sequential(new Conv2d(d.cin, d.cout, 1, 1, rng, 0), new BatchNorm2d(d.cout, { ...bn, affine: false, activation: 'relu6' }));
    case 'classifier': return new Linear(d.cin, d.cout, rng);
    default: return candidateModule(d.op, d.cin, d.cout, s, rng, { affine: false, bn });
  }
}

export interface Timing { median: number; spread: number; runs: number; timer: 'gpu-timestamps' | 'queue-completion' }

/** Median and (max - min) in milliseconds of `forward` over `runs` runs after `warmup`. */
export async function timeForward(forward: () => void, runs: number, warmup: number): Promise<Timing> {
  const q = runtime().queue;
  const once = () => noGrad(() => tidy(() => { forward(); }));
  for (let i = 0; i < warmup; i++) once();
  await q.sync();
  const ms: number[] = [];
  let timer: Timing['timer'] = 'gpu-timestamps';
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const gpu = await q.timeGpu(once);
    if (gpu === null) { await q.sync(); timer = 'queue-completion'; }
    ms.push(gpu ?? performance.now() - t0);
  }
  return { median: median(ms), spread: Math.max(...ms) - Math.min(...ms), runs, timer };
}

/** Times one op description with a random input of its shape. */
export async function measureOp(d: OpDesc, o: { runs: number; warmup: number; bn: { eps: number; momentum: number }; seed?: number }): Promise<Timing> {
  const rng = new Random(o.seed ?? 0);
  const m = opModule(d, rng, o.bn).eval();
  const x = d.op === 'classifier' ? Tensor.randn([d.batch, d.cin], rng) : Tensor.randn([d.batch, d.in, d.in, d.cin], rng);
  try {
    return await timeForward(() => m.forward(x), o.runs, o.warmup);
  } finally {
    x.dispose();
    m.dispose();
  }
}
