// General 2-D convolution (no bias) of NHWC inputs with HWIO weights, and the geometry and
// partial-sum reduction shared with the depthwise convolution.
import { runtime } from '../runtime.js';
import { grid, record, sizeOf, Tensor, type Shape } from '../tensor.js';
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

/** Adds up the leading axis of `parts` ([k, ...shape]) into a new tensor of `shape`. */
export function sumPartials(parts: Tensor, shape: Shape): Tensor {
  const len = sizeOf(shape);
  const out = Tensor.empty(shape);
  const WG = runtime().tuning.conv2d.WG;
  runtime().run('conv2d', 'sum_partials', { a: parts.buffer, out: out.buffer }, params({ len, parts: parts.size / len }), grid(len, WG), { WG });
  return out;
}

type Params = Record<string, number>;
const FIELDS = ['n', 'hi', 'wi', 'ca', 'ho', 'wo', 'co', 'kh', 'kw', 'stride', 'up', 'pad_h', 'pad_w', 'flip',
  'w_tap', 'w_a', 'w_o', 'chunks', 'pixels_per_chunk', 'len', 'parts'];

/** conv2d.wgsl's Params with every field an entry point does not use set to 0. */
function params(given: Params): Params {
  return Object.fromEntries(FIELDS.map((f) => [f, given[f] ?? 0]));
}

/** 1-D workgroup counts folded into x and z so that neither exceeds 65535. */
function fold(groups: number, y: number): [number, number, number] {
  const x = Math.min(groups, 65535);
  return [x, y, Math.ceil(groups / x) || 1];
}

interface Gather {
  stride: number; up: number; padH: number; padW: number; flip: boolean;
  /** Weight strides per input channel and per output channel of this product. */
  wA: number; wO: number;
}

/** The convolution of `a` (on its virtual input, see conv2d.wgsl) with the weights `w`, of shape `shape`. */
function convolve(a: Tensor, w: Tensor, shape: Shape, g: Gather): Tensor {
  const rt = runtime();
  const out = Tensor.empty(shape);
  const { TP, TC, WG } = rt.tuning.conv2d;
  const [n, hi, wi, ca] = a.shape;
  const [, ho, wo, co] = shape;
  const [kh, kw, cin, cout] = w.shape;
  const pixels = n * g.up * g.up * Math.ceil(ho / g.up) * Math.ceil(wo / g.up);
  rt.run('conv2d', 'conv', { a: a.buffer, a4: a.buffer, w: w.buffer, out: out.buffer },
    params({ n, hi, wi, ca, ho, wo, co, kh, kw, stride: g.stride, up: g.up, pad_h: g.padH, pad_w: g.padW, flip: g.flip ? 1 : 0,
      w_tap: cin * cout, w_a: g.wA, w_o: g.wO }),
    fold(Math.ceil(pixels / (TP * WG)), Math.ceil(co / TC)), { TP, TC, WG, VEC4: ca % 4 === 0 ? 1 : 0 });
  return out;
}

/** Convolution of x [N, H, W, Cin] with w [KH, KW, Cin, Cout] into [N, Ho, Wo, Cout], Ho = floor((H + 2p - KH) / s) + 1. */
export function conv2d(x: Tensor, w: Tensor, opts: ConvOptions): Tensor {
  expectRank('conv2d', 'input', x, 4);
  expectRank('conv2d', 'weight', w, 4);
  const [n, , , cin] = x.shape;
  const [kh, kw, wcin, cout] = w.shape;
  if (wcin !== cin) throw new RangeError(`conv2d: weight ${fmt(w.shape)} takes ${wcin} input channels, input ${fmt(x.shape)} has ${cin}`);
  const [ho, wo] = convOutputSize('conv2d', x, kh, kw, opts);
  const p = opts.padding;
  const out = convolve(x, w, [n, ho, wo, cout], { stride: opts.stride, up: 1, padH: p, padW: p, flip: false, wA: cout, wO: 1 });
  return record(out, 'conv2d', [x, w], (g) => [
    // The transposed convolution: stride becomes zeros inserted between gradient pixels, taps
    // are mirrored, and the weight matrix is read transposed (Cout in, Cin out).
    x.requiresGrad ? convolve(g, w, x.shape, { stride: 1, up: opts.stride, padH: kh - 1 - p, padW: kw - 1 - p, flip: true, wA: 1, wO: cout }) : null,
    w.requiresGrad ? conv2dWeightGrad(x, g, w.shape, opts) : null,
  ]);
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
  rt.run('conv2d', 'weight_grad', { a: x.buffer, a4: x.buffer, w: g.buffer, out: partial.buffer },
    params({ n, hi, wi, ca, ho, wo, co, kh, kw, stride, up: 1, pad_h: padding, pad_w: padding, chunks: parts, pixels_per_chunk: perChunk }),
    [rowGroups, coGroups, parts], { TC, WG, VEC4: ca % 4 === 0 ? 1 : 0 });
  return parts === 1 ? partial : sumPartials(partial, shape);
}
