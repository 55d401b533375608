// What the search and retrain loops share: uploading a batch, the model and SGD parts of a
// checkpoint (GPU tensors under `model.` and `sgd.`), and a stop request from SIGINT/SIGTERM
// that the loop honours after the current step by saving a checkpoint.
import { assignTensors, type HostTensor } from '../engine/checkpoint.js';
import type { AnyModule } from '../engine/nn/module.js';
import type { SGD } from '../engine/optim/sgd.js';
import { Tensor } from '../engine/tensor.js';
import type { Batch } from './data/loader.js';
import type { StepReporter } from './progress.js';

/** A batch's images on the GPU; its labels stay on the host, where crossEntropy checks them. */
export const upload = (b: Batch) => ({ x: Tensor.fromArray(b.x, b.shape), y: b.y });

const prefixed = (prefix: string, tensors: Record<string, Tensor>) =>
  Object.fromEntries(Object.entries(tensors).map(([k, t]) => [`${prefix}${k}`, t]));

/** The GPU tensors and JSON state of a model and its SGD, for saveCheckpoint. */
export function trainingState(model: AnyModule, sgd: SGD): { gpu: Record<string, Tensor>; sgd: unknown } {
  const s = sgd.state();
  return { gpu: { ...prefixed('model.', model.stateDict()), ...prefixed('sgd.', s.tensors) }, sgd: s.json };
}

/** Restores a model's weights from the tensors of a checkpoint that trainingState wrote to `path`. */
export function restoreModel(path: string, tensors: Record<string, HostTensor>, model: AnyModule): void {
  assignTensors(path, tensors, prefixed('model.', model.stateDict()), false);
}

/** Restores what trainingState saved, read back by readCheckpoint from `path`. */
export function restoreTraining(path: string, tensors: Record<string, HostTensor>, sgdJson: any, model: AnyModule, sgd: SGD): void {
  restoreModel(path, tensors, model);
  const sgdTensors: Record<string, Tensor> = {};
  for (const [k, e] of Object.entries(tensors)) if (k.startsWith('sgd.')) sgdTensors[k.slice(4)] = Tensor.fromArray(e.data, e.shape);
  sgd.loadState({ json: sgdJson, tensors: sgdTensors });
  for (const t of Object.values(sgdTensors)) t.dispose();
}

/** Records SIGINT/SIGTERM instead of dying, so that the loop can save and stop. */
export class StopSignal {
  signal: string | null = null;
  private readonly on = (sig: string) => { this.signal = sig; this.reporter.line(`${sig}: saving a checkpoint after this step`); };
  constructor(private readonly reporter: StepReporter) {
    process.on('SIGINT', this.on).on('SIGTERM', this.on);
  }
  dispose(): void { process.off('SIGINT', this.on).off('SIGTERM', this.on); }
}
