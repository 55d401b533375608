// Softmax over the last dim (with a temperature) and the mean cross-entropy of logits against
// integer labels with optional label smoothing. Kernels: kernels/loss.wgsl.
import { dispatch } from '../dispatch.js';
import { runtime } from '../runtime.js';
import { record, Tensor } from '../tensor.js';
import { expectRank, fmt } from './shape.js';

type Params = { rows: number; C: number; inv_t?: number; smoothing?: number };

function launch(entry: string, tensors: Record<string, Tensor>, { rows, C, inv_t = 1, smoothing = 0 }: Params, invocations: number): void {
  const single = entry === 'xent_mean';  // one invocation, no tunable workgroup
  dispatch('loss', entry, tensors, { rows, C, inv_t, smoothing }, invocations, single ? {} : { WG: runtime().tuning.softmax.WG });
}

/** softmax(x / temperature) over the last dim of [R, C]. */
export function softmax(x: Tensor, temperature = 1): Tensor {
  expectRank('softmax', 'x', x, 2);
  if (!(temperature > 0)) throw new RangeError(`softmax: temperature ${temperature} must be positive`);
  const [rows, C] = x.shape;
  const params = { rows, C, inv_t: 1 / temperature };
  const y = Tensor.empty(x.shape, 'softmax');
  launch('softmax_forward', { x, out: y }, params, rows);
  return record(y, 'softmax', [x], (g) => {
    const dx = Tensor.empty(x.shape, 'softmax dx');
    launch('softmax_backward', { x: y, g, out: dx }, params, rows);
    return [dx];
  });
}

/**
 * Mean over the batch of sum_j -target_j log_softmax(logits)_j, target = onehot(label) (1 - eps)
 * + eps / C. Labels are host integers (class ids in [0, C), one per row): they are checked here,
 * where a bad one can still be named, and uploaded.
 */
export function crossEntropy(logits: Tensor, classIds: ArrayLike<number>, opts: { labelSmoothing?: number } = {}): Tensor {
  expectRank('crossEntropy', 'logits', logits, 2);
  const [rows, C] = logits.shape;
  if (classIds.length !== rows) {
    throw new RangeError(`crossEntropy: ${classIds.length} labels do not match logits ${fmt(logits.shape)}`);
  }
  for (let i = 0; i < rows; i++) {
    const v = classIds[i];
    if (!Number.isInteger(v) || v < 0 || v >= C) {
      throw new RangeError(`crossEntropy: label ${i} is ${v}, not a class id in [0, ${C})`);
    }
  }
  const labels = Tensor.fromArray(classIds, [rows]);
  const params = { rows, C, smoothing: opts.labelSmoothing ?? 0 };
  const rowstat = Tensor.empty([2, rows], 'cross-entropy rows');
  launch('xent_forward', { x: logits, labels, rowstat }, params, rows);
  const loss = Tensor.empty([], 'cross-entropy');
  launch('xent_mean', { rowstat, out: loss }, params, 1);
  record(loss, 'crossEntropy', [logits], (g) => {
    const dx = Tensor.empty(logits.shape, 'cross-entropy dx');
    launch('xent_backward', { x: logits, labels, rowstat, g, out: dx }, params, rows * C);
    return [dx];
  });
  if (!loss.gradFn) rowstat.dispose();
  return loss;
}
