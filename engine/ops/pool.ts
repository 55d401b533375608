// Global average pooling over the spatial dims of an NHWC tensor. Kernels: kernels/pool.wgsl.
import { dispatch } from '../dispatch.js';
import { runtime } from '../runtime.js';
import { record, Tensor } from '../tensor.js';
import { expectRank } from './shape.js';

/** One invocation per (n, c) of the [N, H, W, C] input `shape`. */
function launch(entry: string, src: Tensor, out: Tensor, shape: readonly number[]): Tensor {
  const [N, H, W, C] = shape;
  const { WG } = runtime().tuning.pool;
  dispatch('pool', entry, { x: src, out }, { N, HW: H * W, C }, N * C, { WG });
  return out;
}

/** Mean over H and W: [N, H, W, C] -> [N, C]. */
export function globalAvgPool(x: Tensor): Tensor {
  expectRank('globalAvgPool', 'x', x, 4);
  const [N, , , C] = x.shape;
  const out = launch('avg_forward', x, Tensor.empty([N, C], 'pooled'), x.shape);
  return record(out, 'globalAvgPool', [x], (g) => [launch('avg_backward', g, Tensor.empty(x.shape, 'pool dx'), x.shape)]);
}
