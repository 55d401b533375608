// Batch norm, channels last: x is [..., C] and each channel is normalised over all other dims.
// Training uses the batch statistics (biased variance) and updates the running ones in place,
// PyTorch style (running = (1 - momentum) running + momentum batch, unbiased variance); eval
// uses the running statistics. A following ReLU or ReLU6 can be fused in: it then costs no pass
// of its own, forward or backward. Kernels: kernels/batchnorm.wgsl.
import { dispatch } from '../dispatch.js';
import { runtime } from '../runtime.js';
import { record, Tensor } from '../tensor.js';
import { clampRange, type Activation, type NormEpilogue } from './elementwise.js';
import { fmt } from './shape.js';

export interface BatchNormState {
  weight?: Tensor;
  bias?: Tensor;
  runningMean: Tensor;
  runningVar: Tensor;
  training: boolean;
  momentum: number;
  eps: number;
  /** Fused activation applied to the normalised output. */
  activation?: Activation;
  /** A tensor of x's shape added to the output in the same pass (a shortcut); not with an activation. */
  residual?: Tensor;
}

interface Geometry { rows: number; C: number; chunk: number; chunks: number; width: 'v4' | 'v1' }

function geometry(x: Tensor): Geometry {
  const C = x.shape[x.shape.length - 1];
  const rows = x.size / C;
  const { ROWS, MAX_CHUNKS } = runtime().tuning.batchnorm;
  const chunk = Math.max(ROWS, Math.ceil(rows / MAX_CHUNKS));
  return { rows, C, chunk, chunks: Math.ceil(rows / chunk), width: C % 4 === 0 ? 'v4' : 'v1' };
}

interface Mode { training: boolean; affine: boolean; momentum: number; eps: number; clamp: readonly [number, number]; residual?: boolean }

function launch(entry: string, geo: Geometry, tensors: Record<string, Tensor>, mode: Mode, perChannel = false): void {
  const invocations = perChannel ? geo.C : (geo.width === 'v4' ? geo.C / 4 : geo.C) * geo.chunks;
  dispatch('batchnorm', entry, tensors, {
    rows: geo.rows, C: geo.C, chunk: geo.chunk, chunks: geo.chunks, momentum: mode.momentum, eps: mode.eps,
    training: mode.training ? 1 : 0, affine: mode.affine ? 1 : 0, lo: mode.clamp[0], hi: mode.clamp[1], residual: mode.residual ? 1 : 0,
  }, invocations, { WG: runtime().tuning.batchnorm.WG });
}

function checkChannels(what: string, t: Tensor | undefined, C: number, x: Tensor): void {
  if (t && (t.shape.length !== 1 || t.shape[0] !== C)) {
    throw new RangeError(`batchNorm: ${what} ${fmt(t.shape)} does not match the ${C} channels of x ${fmt(x.shape)}`);
  }
}

/** Batch norm of x ([N, H, W, C] or [M, C]) over all dims but the last; see BatchNormState. */
export function batchNorm(x: Tensor, s: BatchNormState): Tensor {
  if (x.shape.length < 2) throw new RangeError(`batchNorm: x ${fmt(x.shape)} needs a channel dim and at least one other`);
  const geo = geometry(x);
  const { weight, bias, training } = s;
  if (!weight !== !bias) throw new RangeError('batchNorm: give both weight and bias (affine) or neither');
  for (const [what, t] of [['weight', weight], ['bias', bias], ['runningMean', s.runningMean], ['runningVar', s.runningVar]] as const) {
    checkChannels(what, t, geo.C, x);
  }
  if (training && geo.rows < 2) throw new RangeError(`batchNorm: training needs more than one value per channel, x is ${fmt(x.shape)}`);
  const affine = !!weight, { residual } = s;
  if (residual && residual.size !== x.size) throw new RangeError(`batchNorm: residual ${fmt(residual.shape)} does not match x ${fmt(x.shape)}`);
  // The backward recomputes the activation's mask from x alone, which a residual before it would change.
  if (residual && s.activation) throw new RangeError('batchNorm: a residual cannot be combined with a fused activation');
  const mode = { training, affine, momentum: s.momentum, eps: s.eps, clamp: clampRange(s.activation), residual: !!residual };
  // Without affine parameters, a read-only input of the same dispatch fills their (unread) bindings.
  const stats = Tensor.empty([2, geo.C], 'batchnorm stats');
  const fwd = Tensor.empty([2, geo.C], 'batchnorm scale and bias');
  const partial = Tensor.empty([training ? geo.chunks : 1, 2, geo.C], 'batchnorm partial sums');
  if (training) launch(`stats_${geo.width}`, geo, { x, partial }, mode);
  launch('finalize_forward', geo, { x, partial, stats, fwd, running_mean: s.runningMean, running_var: s.runningVar, weight: weight ?? x, bias: bias ?? x }, mode, true);
  const out = Tensor.empty(x.shape, 'batchnorm output');
  launch(`apply_${geo.width}`, geo, { x, stats, fwd, out, res: residual ?? x }, mode);   // `x`: bound, unread
  partial.dispose();

  const inputs = affine ? [x, weight!, bias!] : [x];
  const op = s.activation ? `batchNorm+${s.activation}` : residual ? 'batchNorm+add' : 'batchNorm';
  record(out, op, residual ? [...inputs, residual] : inputs, (g) => {
    const partial = Tensor.empty([geo.chunks, 2, geo.C], 'batchnorm partial sums');
    const coef = Tensor.empty([3, geo.C], 'batchnorm coefficients');
    const dweight = Tensor.empty([geo.C], 'batchnorm dweight'), dbias = Tensor.empty([geo.C], 'batchnorm dbias');
    launch(`grad_sums_${geo.width}`, geo, { x, g, stats, fwd, partial }, mode);
    launch('finalize_backward', geo, { partial, stats, coef, dweight, dbias, weight: weight ?? g }, mode, true);
    let dx: Tensor | null = null;
    if (x.requiresGrad) {
      dx = Tensor.empty(x.shape, 'batchnorm dx');
      launch(`dx_${geo.width}`, geo, { x, g, stats, fwd, coef, out: dx }, mode);
    }
    partial.dispose(); coef.dispose();
    const wanted = (t: Tensor | undefined, grad: Tensor) => (t?.requiresGrad ? grad : (grad.dispose(), null));
    const grads = affine ? [dx, wanted(weight, dweight), wanted(bias, dbias)] : (dweight.dispose(), dbias.dispose(), [dx]);
    return residual ? [...grads, residual.requiresGrad ? g : null] : grads;
  });
  if (!out.gradFn) { stats.dispose(); fwd.dispose(); }  // nothing will run the backward
  return out;
}

/**
 * An eval batch norm (running statistics) as an epilogue for the op that feeds it: its [2, C]
 * statistics and scale and shift, computed by the pass that `batchNorm` runs first in eval. The
 * caller owns the tensors.
 */
export function evalNorm(s: BatchNormState, C: number): NormEpilogue {
  if (s.training) throw new Error('evalNorm: a batch norm in training normalises by batch statistics; it cannot be folded');
  const { weight, bias } = s;
  if (!weight !== !bias) throw new RangeError('batchNorm: give both weight and bias (affine) or neither');
  const geo: Geometry = { rows: 1, C, chunk: 1, chunks: 1, width: 'v1' };
  const stats = Tensor.empty([2, C], 'batchnorm stats'), fwd = Tensor.empty([2, C], 'batchnorm scale and bias');
  const partial = Tensor.empty([1, 2, C], 'batchnorm partial sums');
  // Training-only inputs are bound, never read: a read-only tensor of the dispatch stands in.
  const unread = weight ?? Tensor.empty([C], 'unread');
  launch('finalize_forward', geo, { x: unread, partial, stats, fwd, running_mean: s.runningMean, running_var: s.runningVar, weight: unread, bias: bias ?? unread },
    { training: false, affine: !!weight, momentum: s.momentum, eps: s.eps, clamp: clampRange(s.activation) }, true);
  partial.dispose();
  if (!weight) unread.dispose();
  return { stats, fwd };
}
