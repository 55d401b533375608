// Depthwise KxK convolution (no bias) of NHWC inputs with [K, K, C] weights.
import { runtime } from '../runtime.js';
import { record, Tensor, type Shape } from '../tensor.js';
import { convOutputSize, sumPartials, weightGradChunks, type ConvOptions } from './conv.js';
import { expectRank, fmt } from './shape.js';

const MAX_TW = 8, MAX_WIN = 32;   // depthwise.wgsl's register arrays

/** Pipeline overrides for a K x K kernel at stride S over a virtual input upsampled by U. */
function overrides(k: number, s: number, u: number, c: number): Record<string, number> {
  const { TW, WG_C, WG_P } = runtime().tuning.depthwise;
  if (TW > MAX_TW || (TW - 1) * s + k > MAX_WIN) throw new RangeError(`depthwiseConv2d: a ${k}x${k} kernel at stride ${s} does not fit the kernel's windows`);
  return { K: k, S: s, U: u, VEC4: c % 4 === 0 ? 1 : 0, TW, WG_C, WG_P };
}

/** The depthwise convolution of `a` (on its virtual input, see depthwise.wgsl) with `w`, of shape `shape`. */
function convolve(a: Tensor, w: Tensor, shape: Shape, s: number, u: number, pad: number, flip: boolean): Tensor {
  const out = Tensor.empty(shape);
  const [n, hi, wi, c] = a.shape;
  const [, ho, wo] = shape;
  const k = w.shape[0];
  const o = overrides(k, s, u, c);
  const groups = Math.ceil(n * ho * Math.ceil(wo / o.TW) / o.WG_P);
  const x = Math.min(groups, 65535);
  runtime().run('depthwise', 'conv', { x: a.buffer, x4: a.buffer, w: w.buffer, w4: w.buffer, out: out.buffer },
    { n, hi, wi, c, ho, wo, pad, flip: flip ? 1 : 0, rows_per_chunk: 0, chunks: 0 },
    [x, Math.ceil(c / 4 / o.WG_C), Math.ceil(groups / x)], o);
  return out;
}

/** Depthwise convolution of x [N, H, W, C] with w [K, K, C] into [N, Ho, Wo, C]. */
export function depthwiseConv2d(x: Tensor, w: Tensor, opts: ConvOptions): Tensor {
  expectRank('depthwiseConv2d', 'input', x, 4);
  expectRank('depthwiseConv2d', 'weight', w, 3);
  const [n, , , c] = x.shape;
  const [k, k2, wc] = w.shape;
  if (k !== k2 || wc !== c) throw new RangeError(`depthwiseConv2d: weight ${fmt(w.shape)} must be [K, K, ${c}] for input ${fmt(x.shape)}`);
  const [ho, wo] = convOutputSize('depthwiseConv2d', x, k, k, opts);
  const { stride, padding } = opts;
  const out = convolve(x, w, [n, ho, wo, c], stride, 1, padding, false);
  return record(out, 'depthwiseConv2d', [x, w], (g) => [
    // The transposed convolution: zeros between gradient pixels for the stride, mirrored taps.
    x.requiresGrad ? convolve(g, w, x.shape, 1, stride, k - 1 - padding, true) : null,
    w.requiresGrad ? weightGrad(x, g, k, opts) : null,
  ]);
}

/** dL/dw [K, K, C] from the input and the output gradient: partial sums over chunks of output rows, then their sum. */
function weightGrad(x: Tensor, g: Tensor, k: number, { stride, padding }: ConvOptions): Tensor {
  const [n, hi, wi, c] = x.shape;
  const [, ho, wo] = g.shape;
  const o = overrides(k, stride, 1, c);
  const rows = n * ho;
  // Lanes walk chunks, so the chunk count is rounded up to whole workgroups of them.
  const perChunkGroup = Math.ceil(c / 4 / o.WG_C) * k;
  const chunks = Math.min(rows, o.WG_P * weightGradChunks(perChunkGroup, Math.ceil(rows / o.WG_P)));
  const perChunk = Math.ceil(rows / chunks);
  const parts = Math.ceil(rows / perChunk);
  const shape = [k, k, c];
  const partial = Tensor.empty(parts === 1 ? shape : [parts, ...shape]);
  runtime().run('depthwise', 'weight_grad', { x: x.buffer, x4: x.buffer, w: g.buffer, w4: g.buffer, out: partial.buffer },
    { n, hi, wi, c, ho, wo, pad: padding, flip: 0, rows_per_chunk: perChunk, chunks: parts },
    [Math.ceil(parts / o.WG_P), Math.ceil(c / 4 / o.WG_C), k], o);
  return parts === 1 ? partial : sumPartials(partial, shape);
}
