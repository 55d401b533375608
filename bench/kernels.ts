// The kernel benchmark: the workloads of bench/workloads.json (W1 GEMM, W2 pointwise, W3
// depthwise, W4 one MBConv block, W5 one SGD step of a small network) plus the copy bandwidth
// that bounds memory-bound kernels. Each is timed as the median over runs after warm-up, by GPU
// timestamps where the adapter offers them, else by queue completion; beside it the steady-state
// wall-clock of runs back to back (what a training loop gets) and the peak GPU memory a run takes
// beyond what lives across runs.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crossEntropy } from '../engine/ops/loss.js';
import { depthwiseConv2d } from '../engine/ops/depthwise.js';
import { relu6 } from '../engine/ops/elementwise.js';
import { matmul, pointwiseConv } from '../engine/ops/matmul.js';
import { MBConv } from '../engine/nn/blocks.js';
import { BatchNorm2d, Conv2d, GlobalAvgPool, Linear } from '../engine/nn/layers.js';
import { Module, Sequential } from '../engine/nn/module.js';
import { SGD } from '../engine/optim/sgd.js';
import { Random } from '../engine/random.js';
import { timeRuns, type Timing } from '../engine/timing.js';
import { runtime } from '../engine/runtime.js';
import { noGrad, Tensor, tidy } from '../engine/tensor.js';

const here = dirname(fileURLToPath(import.meta.url));
const W = JSON.parse(readFileSync(join(here, '../../bench/workloads.json'), 'utf8'));
const PEERS = JSON.parse(readFileSync(join(here, '../../bench/peers.json'), 'utf8'));

/** A workload's timing (ms), throughput, peak GPU memory (MiB) and the peers' times and ratios (peer ms / ours). */
export interface KernelResult extends Timing {
  name: string; id: string; peak_mib: number;
  gflops?: number; gbytes_per_s?: number; images_per_s?: number;
  torch_ms?: number; vs_torch?: number; tfjs_ms?: number; vs_tfjs?: number;
}

/** The W5 network: stem conv-BN-ReLU6, the listed MBConv blocks, global pool, linear head. */
export function smallNet(spec: any, rng: Random): Module {
  const bnOpts = { eps: spec.bn.eps, momentum: spec.bn.momentum };
  const layers: Module[] = [new Conv2d(spec.input[0], spec.stem.out, spec.stem.k, spec.stem.stride, rng), new BatchNorm2d(spec.stem.out, { ...bnOpts, activation: 'relu6' })];
  let c = spec.stem.out;
  for (const b of spec.blocks) { layers.push(new MBConv(c, b.out, b.k, b.stride, b.expand, rng, { bn: bnOpts })); c = b.out; }
  layers.push(new GlobalAvgPool(), new Linear(c, spec.num_classes, rng));
  return new Sequential(...layers);
}

function torchFigures(file?: string): Record<string, number> {
  if (!file) return PEERS.torch_ms;
  const r = JSON.parse(readFileSync(file, 'utf8')).results;
  const pick = (name: string) => r[name]?.median_ms;
  return {
    W1_gemm: pick('W1 gemm torch.mm (BLAS)'), W2_pointwise_fwd: pick('W2 pointwise fwd'),
    W3_depthwise_3x3_fwd: pick('W3 depthwise 3x3 fwd'), W3_depthwise_7x7_fwd: pick('W3 depthwise 7x7 fwd'),
    E1_relu6_25MB: pick('E1 elementwise clamp 25 MB (out=)'), W4_mbconv_fwd_eval: pick('W4 mbconv fwd (eval BN, no_grad)'),
    W4_mbconv_fwd_train: pick('W4 mbconv fwd (train BN, no_grad)'), W4_mbconv_fwd_bwd: pick('W4 mbconv fwd+bwd (train BN)'),
    W5_sgd_step: pick('W5 net SGD train step (batch 64)'), W5_fwd_eval: pick('W5 net fwd (eval, batch 64)'),
  };
}

export interface KernelBenchOptions { warmup?: number; runs?: number; torchFile?: string; log?: (line: string) => void }

export async function benchKernels(opts: KernelBenchOptions = {}): Promise<KernelResult[]> {
  const warmup = opts.warmup ?? W.timing.warmup, runs = opts.runs ?? W.timing.runs;
  const log = opts.log ?? (() => {});
  const torch = torchFigures(opts.torchFile);
  const rng = new Random(0);
  const results: KernelResult[] = [];
  const add = async (id: string, name: string, step: () => void | Promise<void>, work: { flops?: number; bytes?: number; images?: number } = {}) => {
    log(`timing ${name}`);
    const pool = runtime().pool, base = pool.memory().liveBytes;
    pool.resetPeak();
    const t = await timeRuns(step, runs, warmup, { wall: true });
    const r: KernelResult = { id, name, ...t, peak_mib: (pool.memory().peakBytes - base) / 2 ** 20 };
    if (work.flops) r.gflops = work.flops / (t.median * 1e6);
    if (work.bytes) r.gbytes_per_s = work.bytes / (t.median * 1e6);
    if (work.images) r.images_per_s = work.images / (t.median / 1e3);
    if (torch[id]) { r.torch_ms = torch[id]; r.vs_torch = torch[id] / t.median; }
    const tf = PEERS.tfjs_webgpu_ms[id];
    if (tf) { r.tfjs_ms = (tf[0] + tf[1]) / 2; r.vs_tfjs = r.tfjs_ms / t.median; }   // midpoint of the measured range
    results.push(r);
  };
  const rand = (shape: number[], std = 1) => Tensor.randn(shape, rng, std);
  const noGradStep = (f: () => Tensor) => () => { noGrad(() => tidy(() => { f(); })); };

  // Bandwidth bound: a plain device-to-device copy of a W3-sized activation.
  {
    const d = W.W3_depthwise, n = d.N * d.C * d.H * d.W;
    const a = rand([n]), b = Tensor.empty([n]);
    await add('E0_copy_25MB', 'E0 buffer copy 25 MB', () => runtime().queue.copy(a.buffer, b.buffer, n * 4), { bytes: 8 * n });
    await add('E1_relu6_25MB', 'E1 relu6 25 MB', noGradStep(() => relu6(a)), { bytes: 8 * n });
    a.dispose(); b.dispose();
  }
  {
    const g = W.W1_gemm;
    const a = rand([g.M, g.K]), b = rand([g.K, g.N]);
    await add('W1_gemm', `W1 gemm ${g.M}x${g.N}x${g.K}`, noGradStep(() => matmul(a, b)), { flops: 2 * g.M * g.N * g.K });
    a.dispose(); b.dispose();
  }
  {
    const p = W.W2_pointwise;
    const x = rand([p.N, p.H, p.W, p.Cin]), w = rand([p.Cin, p.Cout], 0.1);
    await add('W2_pointwise_fwd', `W2 pointwise ${p.Cin}->${p.Cout} fwd`, noGradStep(() => pointwiseConv(x, w)), { flops: 2 * p.N * p.H * p.W * p.Cin * p.Cout });
    x.dispose(); w.dispose();
  }
  {
    const d = W.W3_depthwise;
    const x = rand([d.N, d.H, d.W, d.C]);
    for (const k of d.kernels) {
      const w = rand([k, k, d.C], 0.1);
      const conv = () => depthwiseConv2d(x, w, { stride: d.stride, padding: (k - 1) / 2 });
      await add(`W3_depthwise_${k}x${k}_fwd`, `W3 depthwise ${k}x${k} fwd`, noGradStep(conv), { flops: 2 * k * k * d.N * d.C * d.H * d.W });
      w.dispose();
    }
    x.dispose();
  }
  {
    const m = W.W4_mbconv;
    const block = new MBConv(m.Cin, m.Cin, m.k, m.stride, m.expand, rng);
    const x = rand([m.N, m.H, m.W, m.Cin]), dy = rand([m.N, m.H, m.W, m.Cin]);
    block.eval();
    await add('W4_mbconv_fwd_eval', 'W4 mbconv fwd (eval BN)', noGradStep(() => block.forward(x)));
    block.train();
    await add('W4_mbconv_fwd_train', 'W4 mbconv fwd (train BN)', noGradStep(() => block.forward(x)));
    x.requiresGrad = true;
    await add('W4_mbconv_fwd_bwd', 'W4 mbconv fwd+bwd (train BN)', () => tidy(() => {
      for (const p of [...block.parameters(), x]) { p.grad?.dispose(); p.grad = null; }
      block.forward(x).backward(dy);
    }));
    block.dispose(); x.dispose(); dy.dispose();
  }
  {
    const n = W.W5_net;
    const net = smallNet(n, rng);
    const x = rand([n.batch, n.input[1], n.input[2], n.input[0]]);
    const labels = Array.from({ length: n.batch }, () => rng.int(n.num_classes));
    const opt = new SGD(net.parameters(), { lr: n.optimizer.lr, momentum: n.optimizer.momentum });
    net.train();
    await add('W5_sgd_step', `W5 net SGD step (batch ${n.batch})`, async () => {
      const loss = tidy(() => {
        opt.zeroGrad();
        const l = crossEntropy(net.forward(x), labels);
        l.backward();
        opt.step();
        return l;
      });
      await loss.item();   // a training loop reads its loss: the round trip is part of a step
      loss.dispose();
    }, { images: n.batch });
    net.eval();
    await add('W5_fwd_eval', `W5 net fwd (eval, batch ${n.batch})`, noGradStep(() => net.forward(x)), { images: n.batch });
    net.dispose(); x.dispose();
  }
  return results;
}

export const machinePeakGflops: number = PEERS.machine_fp32_peak_gflops;
