// densenas bench kernels: times the benchmark workloads on this adapter and compares them with
// the machine's limits and the reference peers.
import type { Argv } from 'yargs';
import { integerOptions } from '../options.js';
import { benchKernels, machinePeakGflops } from '../../bench/kernels.js';
import { makeReport, printTable, writeJson, type Row } from '../../bench/report.js';
import { destroy, init } from '../../engine/runtime.js';
import { jsonOption } from '../options.js';

export const command = 'kernels';
export const describe = 'time the kernel workloads (GEMM, pointwise, depthwise, MBConv, SGD step)';
export const builder = (y: Argv) => y
  .option('out', { type: 'string', describe: 'write the report to this JSON file' })
  .option('json', jsonOption)
  .option('runs', { type: 'number', describe: 'timed runs per workload (default from bench/workloads.json)' })
  .option('warmup', { type: 'number', describe: 'untimed runs first' })
  .check(integerOptions({ runs: 1, warmup: 0 }))
  .option('torch', { type: 'string', describe: 'PyTorch figures from the same sitting (peer-results/torch-*.json)' });

export async function handler(argv: { out?: string; json: boolean; runs?: number; warmup?: number; torch?: string }): Promise<void> {
  const rt = await init();
  try {
    const results = await benchKernels({ runs: argv.runs, warmup: argv.warmup, torchFile: argv.torch, log: (l) => process.stderr.write(`${l}\n`) });
    const report = makeReport('kernels', results as unknown as Row[], { adapter: rt.device.info, timestamps: rt.device.hasTimestamps, peers: 'bench/peers.json' });
    if (argv.out) writeJson(argv.out, report);
    if (argv.json) { console.log(JSON.stringify(report)); return; }
    const f = (x: number | undefined, d = 1) => (x === undefined ? '' : x.toFixed(d));
    console.log(`adapter: ${rt.device.info.description} (${rt.device.info.kind}); kernels timed by ${results.at(-1)?.timer} (a plain copy by queue completion)`);
    printTable(results.map((r) => ({
      workload: r.name, 'ms': f(r.median, 2), 'min ms': f(r.min, 2), 'wall ms': f(r.wall, 2), 'peak MiB': f(r.peak_mib),
      'GFLOP/s': f(r.gflops), 'GB/s': f(r.gbytes_per_s), 'img/s': f(r.images_per_s, 0),
      '% peak': r.gflops ? f((100 * r.gflops) / machinePeakGflops) : '',
      'torch ms': f(r.torch_ms, 1), 'x torch': f(r.vs_torch, 3), 'x tfjs': f(r.vs_tfjs),
    })), ['workload', 'ms', 'min ms', 'wall ms', 'peak MiB', 'GFLOP/s', 'GB/s', 'img/s', '% peak', 'torch ms', 'x torch',
      'x tfjs']);
    console.log('ms: median GPU time of a run; wall ms: steady-state wall-clock of a run among runs back to back, ' +
      'readbacks included; peak MiB: GPU memory a run takes beyond what lives across runs');
    console.log(`x torch: PyTorch time / ours (above 1 means faster than PyTorch); x tfjs: TensorFlow.js webgpu time / ours; % peak: of ${machinePeakGflops} GFLOP/s`);
  } finally {
    destroy();
  }
}
