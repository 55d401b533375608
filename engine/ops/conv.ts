// General 2-D convolution (no bias) of NHWC inputs with HWIO weights, and the geometry shared
// with the depthwise convolution. Kernels: kernels/conv.wgsl.
import { dispatch } from '../dispatch.js';
import { runtime } from '../runtime.js';
import { record, Tensor, type Shape } from '../tensor.js';
import { activationGrad, checkNormEpilogue, clampRange, type Epilogue, type NormEpilogue } from './elementwise.js';
import { columnSums, sumPartials } from './reduce.js';
import { expectRank, fmt } from './shape.js';

export interface ConvOptions { stride: 1 | 2; padding: number }

/** Output rows and columns of a kh x kw window; throws when the options or the window do not fit. */
export function convOutputSize(op: string, x: Tensor, kh: number, kw: number, { stride, padding }: ConvOptions): [number, number] {
  if (stride !== 1 && stride !== 2) throw new RangeError(`${op}: stride must be 1 or 2, got ${stride}`);
  if (!Number.isInteger(padding) || padding < 0) throw new RangeError(`${op}: padding must be a non-negative integer, got ${padding}`);
  const ho = Math.floor((x.shape[1] + 2 * padding - kh) / stride) + 1;
  const wo = Math.floor((x.shape[2] + 2 * padding - kw) / stride) + 1;
  if (ho < 1 || wo < 1) throw new RangeError(`${op}: a ${kh}x${kw} window with padding ${padding} does not fit input ${fmt(x.shape)}`);
  return [ho, wo];
}

/**
 * How many partial sums to split a weight gradient into: enough that `perChunk` workgroups per
 * partial sum give the tuned number of workgroups, with at most one partial sum per row of work.
 */
export function weightGradChunks(perChunk: number, rows: number): number {
  return Math.max(1, Math.min(rows, 65535, Math.ceil(runtime().tuning.weightGradSplit.workgroups / perChunk)));
}

/** Entry point: the vec4 variant when the output channel count is a multiple of 4. */
const entry = (name: string, co: number) => `${name}${co % 4 === 0 ? 4 : 1}`;

interface Geometry { stride: number; up: number; padH: number; padW: number }

/**
 * The convolution of `a` (on its virtual input, see conv.wgsl) with w [KH, KW, Ca, Co], of shape
 * `shape`, with the epilogue's bias and clamp applied as it is stored.
 */
function convolve(a: Tensor, w: Tensor, shape: Shape, g: Geometry, epilogue?: { bias?: Tensor; norm?: NormEpilogue; clamp: [number, number] }): Tensor {
  const rt = runtime();
  const { TP, TC, WG } = rt.tuning.conv2d;
  const out = Tensor.empty(shape);
  const [n, hi, wi, ca] = a.shape;
  const [, ho, wo, co] = shape;
  const [kh, kw] = w.shape;
  const pixels = n * g.up * g.up * Math.ceil(ho / g.up) * Math.ceil(wo / g.up);
  const groups = Math.ceil(pixels / (TP * WG));
  const x = Math.min(groups, 65535);
  const params = { n, hi, wi, ca, ho, wo, co, kh, kw, stride: g.stride, up: g.up, pad_h: g.padH, pad_w: g.padW };
  const norm = epilogue?.norm;
  const tensors: Record<string, Tensor> = !epilogue ? { a, w, out }
    : norm ? { a, w, out, stats: norm.stats, fwd: norm.fwd } : { a, w, out, bias: epilogue.bias! };
  dispatch('conv', entry(!epilogue ? 'conv' : norm ? 'conv_norm' : 'conv_bias', co), tensors,
    epilogue ? { ...params, act_lo: epilogue.clamp[0], act_hi: epilogue.clamp[1] } : params,
    [x, Math.ceil(co / TC), Math.ceil(groups / x)], { TP, TC, WG, VEC4: ca % 4 === 0 ? 1 : 0 });
  return out;
}

/** The weights of the transposed convolution: taps mirrored, input and output channels swapped. */
function transposeTaps(w: Tensor): Tensor {
  const [kh, kw, cin, cout] = w.shape;
  const out = Tensor.empty([kh, kw, cout, cin]);
  const WG = runtime().tuning.conv2d.WG;
  dispatch('conv', 'transpose_taps', { w, out }, { kh, kw, ca: cin, co: cout, len: w.size }, w.size, { WG });
  return out;
}

/**
 * Convolution of x [N, H, W, Cin] with w [KH, KW, Cin, Cout] into [N, Ho, Wo, Cout], Ho = floor((H + 2p - KH) / s) + 1;
 * a bias and an activation in the options are applied as the output is stored.
 */
export function conv2d(x: Tensor, w: Tensor, opts: ConvOptions & Epilogue): Tensor {
  expectRank('conv2d', 'input', x, 4);
  expectRank('conv2d', 'weight', w, 4);
  const [n, , , cin] = x.shape;
  const [kh, kw, wcin, cout] = w.shape;
  if (wcin !== cin) throw new RangeError(`conv2d: weight ${fmt(w.shape)} takes ${wcin} input channels, input ${fmt(x.shape)} has ${cin}`);
  const [ho, wo] = convOutputSize('conv2d', x, kh, kw, opts);
  const p = opts.padding, { bias, activation } = opts;
  checkBias('conv2d', bias, cout);
  if (opts.norm) return normed('conv2d', x, w, opts, (e) => convolve(x, w, [n, ho, wo, cout], { stride: opts.stride, up: 1, padH: p, padW: p }, e));
  const epilogue = bias || activation ? { bias: bias ?? Tensor.zeros([cout]), clamp: clampRange(activation) } : undefined;
  const out = convolve(x, w, [n, ho, wo, cout], { stride: opts.stride, up: 1, padH: p, padW: p }, epilogue);
  if (epilogue && !bias) epilogue.bias.dispose();   // safe: reused only after the recorded work is submitted
  return record(out, 'conv2d', bias ? [x, w, bias] : [x, w], (g) => {
    const gz = activation ? activationGrad(out, g, activation) : g;
    const grads = [
      x.requiresGrad ? conv2dInputGrad(gz, w, x.shape, opts) : null,
      w.requiresGrad ? conv2dWeightGrad(x, gz, w.shape, opts) : null,
      bias?.requiresGrad ? columnSums(gz, gz.size / cout, cout) : null,
    ];
    if (gz !== g) gz.dispose();
    return grads;
  });
}

/** A convolution with an eval batch norm folded into its store (`run` dispatches it): inference only, no residual. */
export function normed(op: string, x: Tensor, w: Tensor, e: Epilogue,
                       run: (epilogue: { norm: NormEpilogue; clamp: [number, number] }) => Tensor): Tensor {
  checkNormEpilogue(op, e, [x, w]);
  if (e.norm!.residual) throw new RangeError(`${op}: a residual in the epilogue is for 1x1 convolutions`);
  return run({ norm: e.norm!, clamp: clampRange(e.activation) });
}

/** Checks a per-output-channel bias [C]. */
export function checkBias(op: string, bias: Tensor | undefined, C: number): void {
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== C)) {
    throw new RangeError(`${op}: bias ${fmt(bias.shape)} does not match ${C} output channels`);
  }
}

/** dL/dx: the transposed convolution, with zeros between gradient pixels for the stride and mirrored, transposed weights. */
function conv2dInputGrad(g: Tensor, w: Tensor, shape: Shape, { stride, padding }: ConvOptions): Tensor {
  const [kh, kw] = w.shape;
  const wT = transposeTaps(w);
  const dx = convolve(g, wT, shape, { stride: 1, up: stride, padH: kh - 1 - padding, padW: kw - 1 - padding });
  wT.dispose();   // safe: the pool hands it out again only after the recorded work is submitted
  return dx;
}

/** dL/dw [KH, KW, Cin, Cout] of conv2d from its input and output gradient, a reduction over N*Ho*Wo. */
function conv2dWeightGrad(x: Tensor, g: Tensor, shape: Shape, { stride, padding }: ConvOptions): Tensor {
  const rt = runtime();
  const { TC, WG } = rt.tuning.conv2d;
  const [n, hi, wi, ca] = x.shape;
  const [, ho, wo, co] = g.shape;
  const [kh, kw] = shape;
  const pixels = n * ho * wo;
  const rowGroups = Math.ceil(kh * kw * Math.ceil(ca / 4) / WG), coGroups = Math.ceil(co / TC);
  const chunks = weightGradChunks(rowGroups * coGroups, pixels);
  const perChunk = Math.ceil(pixels / chunks);
  const parts = Math.ceil(pixels / perChunk);
  const partial = Tensor.empty(parts === 1 ? shape : [parts, ...shape]);
  dispatch('conv', entry('weight_grad', co), { a: x, w: g, out: partial },
    { n, hi, wi, ca, ho, wo, co, kh, kw, stride, up: 1, pad_h: padding, pad_w: padding, pixels_per_chunk: perChunk },
    [rowGroups, coGroups, parts], { TC, WG, VEC4: ca % 4 === 0 ? 1 : 0 });
  return parts === 1 ? partial : sumPartials(partial, shape);
}
