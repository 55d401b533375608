// densenas export: a retrain run's best model with batch norm folded into the convolutions, as
// DIR/model.safetensors and DIR/net_config.json (and DIR/model.onnx with --format onnx), checked
// against the unfolded model.
import type { Argv } from 'yargs';
import { destroy, exportModel } from '../nas/api.js';
import { jsonOption } from './options.js';

export const command = 'export';
export const describe = 'write a retrained model with batch norm folded, for inference (safetensors, or ONNX as well)';
export const builder = (y: Argv) => y
  .option('run', { type: 'string', demandOption: true, describe: 'retrain run directory' })
  .option('out', { type: 'string', demandOption: true, describe: 'output model directory' })
  .option('format', { choices: ['safetensors', 'onnx'] as const, default: 'safetensors' as const, describe: 'onnx: also OUT/model.onnx (NCHW input, class names and preprocessing in its metadata)' })
  .option('weights', { type: 'string', describe: 'weights file instead of the run\'s best' })
  .option('json', jsonOption);

export async function handler(a: { run: string; out: string; format: 'safetensors' | 'onnx'; weights?: string; json: boolean }): Promise<void> {
  try {
    const r = await exportModel(a);
    const out = { run: a.run, out: r.out, weights: r.weights, files: r.files, max_abs_diff: r.maxDiff, max_abs_logit: r.maxLogit };
    if (a.json) { console.log(JSON.stringify(out)); return; }
    console.log(`exported ${r.weights} to ${a.out}: ${r.files.join(', ')}`);
    console.log(`folded vs unfolded logits on a random batch: max |difference| ${r.maxDiff.toExponential(2)} (logits up to ${r.maxLogit.toFixed(3)})`);
  } finally {
    destroy();
  }
}
