// Depthwise KxK convolution of NHWC inputs with [K, K, C] weights, with an optional bias and
// activation applied as the output is stored. Kernels: kernels/depthwise.wgsl.
import { dispatch } from '../dispatch.js';
import { runtime } from '../runtime.js';
import { record, Tensor, type Shape } from '../tensor.js';
import { checkBias, convOutputSize, normed, weightGradChunks, type ConvOptions } from './conv.js';
import { activationGrad, clampRange, type Epilogue, type NormEpilogue } from './elementwise.js';
import { columnSums, sumPartials } from './reduce.js';
import { expectRank, fmt } from './shape.js';

const MAX_K = 7;   // depthwise.wgsl's register arrays

/** Pipeline overrides for a K x K kernel at stride S over a virtual input upsampled by U. */
function overrides(k: number, s: number, u: number): Record<string, number> {
  return { K: k, S: s, U: u, ...runtime().tuning.depthwise };
}

/** Entry point: the vec4 variant when every pixel's channels start on a 16-byte boundary. */
const entry = (name: string, c: number) => `${name}${c % 4 === 0 ? 4 : 1}`;

/** The depthwise convolution of `a` (on its virtual input, see depthwise.wgsl) with `w`, of shape `shape`. */
function convolve(a: Tensor, w: Tensor, shape: Shape, s: number, u: number, pad: number, flip: boolean,
                  epilogue?: { bias?: Tensor; norm?: NormEpilogue; clamp: [number, number] }): Tensor {
  const out = Tensor.empty(shape);
  const [n, hi, wi, c] = a.shape;
  const [, ho, wo] = shape;
  // Weight taps shared through the subgroup where lanes of one subgroup share a channel group.
  const rt = runtime();
  const o: Record<string, number> = { ...overrides(w.shape[0], s, u), SG: Number(rt.device.subgroupSize === 8 && rt.tuning.depthwise.WG_C === 1 && rt.tuning.depthwise.WG_P % 8 === 0) };
  const groups = Math.ceil(n * Math.ceil(ho / o.TH) * Math.ceil(wo / o.TW) / o.WG_P);
  const x = Math.min(groups, 65535);
  const params = { n, hi, wi, c, ho, wo, pad, flip: flip ? 1 : 0 };
  const norm = epilogue?.norm;
  const tensors: Record<string, Tensor> = !epilogue ? { x: a, w, out }
    : norm ? { x: a, w, out, stats: norm.stats, fwd: norm.fwd } : { x: a, w, out, bias: epilogue.bias! };
  dispatch('depthwise', entry(!epilogue ? 'conv' : norm ? 'conv_norm' : 'conv_bias', c), tensors,
    epilogue ? { ...params, act_lo: epilogue.clamp[0], act_hi: epilogue.clamp[1] } : params,
    [x, Math.ceil(c / 4 / o.WG_C), Math.ceil(groups / x)], o);
  return out;
}

/** Depthwise convolution of x [N, H, W, C] with w [K, K, C] (K <= 7) into [N, Ho, Wo, C], then the bias and activation. */
export function depthwiseConv2d(x: Tensor, w: Tensor, opts: ConvOptions & Epilogue): Tensor {
  expectRank('depthwiseConv2d', 'input', x, 4);
  expectRank('depthwiseConv2d', 'weight', w, 3);
  const [n, , , c] = x.shape;
  const [k, k2, wc] = w.shape;
  if (k !== k2 || wc !== c) throw new RangeError(`depthwiseConv2d: weight ${fmt(w.shape)} must be [K, K, ${c}] for input ${fmt(x.shape)}`);
  if (k > MAX_K) throw new RangeError(`depthwiseConv2d: kernels up to ${MAX_K}x${MAX_K} are supported, got ${fmt(w.shape)}`);
  const [ho, wo] = convOutputSize('depthwiseConv2d', x, k, k, opts);
  const { stride, padding, bias, activation } = opts;
  checkBias('depthwiseConv2d', bias, c);
  if (opts.norm) return normed('depthwiseConv2d', x, w, opts, (e) => convolve(x, w, [n, ho, wo, c], stride, 1, padding, false, e));
  const epilogue = bias || activation ? { bias: bias ?? Tensor.zeros([c]), clamp: clampRange(activation) } : undefined;
  const out = convolve(x, w, [n, ho, wo, c], stride, 1, padding, false, epilogue);
  if (epilogue && !bias) epilogue.bias.dispose();   // safe: reused only after the recorded work is submitted
  return record(out, 'depthwiseConv2d', bias ? [x, w, bias] : [x, w], (g) => {
    const gz = activation ? activationGrad(out, g, activation) : g;
    const grads = [
      // The transposed convolution: zeros between gradient pixels for the stride, mirrored taps.
      x.requiresGrad ? convolve(gz, w, x.shape, 1, stride, k - 1 - padding, true) : null,
      w.requiresGrad ? weightGrad(x, gz, k, opts) : null,
      bias?.requiresGrad ? columnSums(gz, gz.size / c, c) : null,
    ];
    if (gz !== g) gz.dispose();
    return grads;
  });
}

/** dL/dw [K, K, C] from the input and the output gradient: partial sums over chunks of input rows, then their sum. */
function weightGrad(x: Tensor, g: Tensor, k: number, { stride, padding }: ConvOptions): Tensor {
  const [n, hi, wi, c] = x.shape;
  const [, ho, wo] = g.shape;
  const o = overrides(k, stride, 1);
  const rows = n * hi;
  // Lanes walk chunks, so chunks come in whole workgroups.
  const chunks = Math.min(rows, o.WG_P * weightGradChunks(Math.ceil(c / 4 / o.WG_C) * Math.ceil(k / o.KR), Math.ceil(rows / o.WG_P)));
  const perChunk = Math.ceil(rows / chunks);
  const parts = Math.ceil(rows / perChunk);
  const shape = [k, k, c];
  const partial = Tensor.empty(parts === 1 ? shape : [parts, ...shape]);
  dispatch('depthwise', entry('weight_grad', c), { x, w: g, out: partial },
    { n, hi, wi, c, ho, wo, pad: padding, rows_per_chunk: perChunk, chunks: parts },
    [Math.ceil(parts / o.WG_P), Math.ceil(c / 4 / o.WG_C), Math.ceil(k / o.KR)], o);
  return parts === 1 ? partial : sumPartials(partial, shape);
}
