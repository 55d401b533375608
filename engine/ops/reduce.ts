// Sums over a leading axis that other ops finish with, outside autograd: the split-K slices of a
// matrix product, bias gradients, and the partial sums of convolution weight gradients.
// Kernels: kernels/reduce.wgsl.
import { dispatch, grid } from '../dispatch.js';
import { runtime } from '../runtime.js';
import { sizeOf, Tensor, type Shape } from '../tensor.js';

const MAX_GROUPS = 65535;

/** [rows, cols] -> [cols] in passes of chunk sums. */
export function columnSums(x: Tensor, rows: number, cols: number): Tensor {
  const { WG, rows: chunkRows } = runtime().tuning.sumColumns;
  const chunk = Math.max(chunkRows, Math.ceil(rows / MAX_GROUPS));
  const chunks = Math.max(1, Math.ceil(rows / chunk));
  const out = Tensor.empty(chunks === 1 ? [cols] : [chunks, cols]);
  const [gx, gz] = grid(cols, WG);
  dispatch('reduce', 'sum_columns', { x, out }, { rows, cols, chunk }, [gx, chunks, gz], { WG });
  if (chunks === 1) return out;
  const sums = columnSums(out, chunks, cols);
  out.dispose();
  return sums;
}

/** Adds up the leading axis of `parts` ([k, ...shape]) into a new tensor of `shape`, and disposes `parts`. */
export function sumPartials(parts: Tensor, shape: Shape): Tensor {
  const len = sizeOf(shape);
  const out = Tensor.empty(shape);
  const { WG } = runtime().tuning.sumColumns;
  dispatch('reduce', 'sum_partials', { x: parts, out }, { len, parts: parts.size / len }, len, { WG });
  parts.dispose();   // safe: the pool hands it out again only after the recorded work is submitted
  return out;
}
