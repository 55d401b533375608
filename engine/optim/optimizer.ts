// The part every optimizer shares: per-parameter state tensors (created on a parameter's first
// update, kept outside every scope), per-parameter step counts (parameters without a gradient
// are skipped, as in PyTorch), gradient reset, and the checkpoint round trip.
import { copy } from '../ops/elementwise.js';
import { dispatch } from '../dispatch.js';
import { runtime } from '../runtime.js';
import { keep, Tensor } from '../tensor.js';
import type { ParamValue } from '../queue.js';

/** A checkpointable optimizer state: tensors named `<param index>.<slot>` and a JSON part. */
export interface OptimizerState {
  json: { lr: number; steps: number[] };
  tensors: Record<string, Tensor>;
}

export abstract class Optimizer {
  /** Learning rate; set it between steps for a schedule. */
  lr: number;
  protected readonly slots: Array<Record<string, Tensor>>;
  private steps: number[];

  constructor(readonly params: readonly Tensor[], lr: number) {
    this.lr = lr;
    this.slots = params.map(() => ({}));
    this.steps = params.map(() => 0);
  }

  /** Updates `param` in place from its gradient; `step` counts from 1. */
  protected abstract update(index: number, param: Tensor, grad: Tensor, step: number): void;

  step(): void {
    this.params.forEach((param, i) => {
      if (param.grad) this.update(i, param, param.grad, ++this.steps[i]);
    });
  }

  /** Disposes every gradient: the next backward creates fresh ones. */
  zeroGrad(): void {
    for (const param of this.params) { param.grad?.dispose(); param.grad = null; }
  }

  /** The slot `name` of parameter `i`, zero-filled on first use when `zero`, else left for the kernel to write. */
  protected slot(i: number, name: string, zero: boolean): Tensor {
    return (this.slots[i][name] ??= keep(zero ? Tensor.zeros(this.params[i].shape) : Tensor.empty(this.params[i].shape, `optimizer ${name}`)));
  }

  protected run(entry: string, tensors: Record<string, Tensor>, params: Record<string, ParamValue>): void {
    const n = tensors.param.size;
    dispatch('optim', entry, tensors, { ...params, n }, Math.ceil(n / 4), { WG: runtime().tuning.optim.WG });
  }

  /** The live state (not copies): read it before the next step. */
  state(): OptimizerState {
    const tensors: Record<string, Tensor> = {};
    this.slots.forEach((slots, i) => { for (const [name, t] of Object.entries(slots)) tensors[`${i}.${name}`] = t; });
    return { json: { lr: this.lr, steps: [...this.steps] }, tensors };
  }

  /** Restores a state from `state()` (copying its tensors), so that training continues bit-exactly. */
  loadState({ json, tensors }: OptimizerState): void {
    if (json.steps.length !== this.params.length) throw new RangeError(`loadState: state for ${json.steps.length} parameters, optimizer has ${this.params.length}`);
    const loaded = this.params.map(() => ({} as Record<string, Tensor>));
    for (const [key, t] of Object.entries(tensors)) {
      const [index, name] = key.split('.');
      const param = this.params[Number(index)];
      if (!param || !name) throw new RangeError(`loadState: unexpected state tensor '${key}'`);
      if (t.size !== param.size) throw new RangeError(`loadState: '${key}' has ${t.size} values, parameter ${index} has ${param.size}`);
      loaded[Number(index)][name] = keep(copy(t.reshape(param.shape)));
    }
    for (const slots of this.slots) for (const t of Object.values(slots)) t.dispose();
    loaded.forEach((slots, i) => { this.slots[i] = slots; });
    this.steps = [...json.steps];
    this.lr = json.lr;
  }
}
