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

/** Adds up the leading axis of `parts` ([k, ...shape]) into a new tensor of `shape`, and disposes `parts`. */
export function sumPartials(parts: Tensor, shape: Shape): Tensor {
  const len = sizeOf(shape);
  const out = Tensor.empty(shape);
  const WG = runtime().tuning.conv2d.WG;
  runtime().run('conv2d', 'sum_partials', { a: parts.buffer, out: out.buffer }, params({ len, parts: parts.size / len }), grid(len, WG), { WG });
  parts.dispose();   // safe: the pool hands it out again only after the recorded work is submitted
  return out;
}

type Params = Record<string, number>;
const FIELDS = ['n', 'hi', 'wi', 'ca', 'ho', 'wo', 'co', 'kh', 'kw', 'stride', 'up', 'pad_h', 'pad_w',
  'pixels_per_chunk', 'len', 'parts'];

/** conv2d.wgsl's Params with every field an entry point does not use set to 0. */
function params(given: Params): Params {
  return Object.fromEntries(FIELDS.map((f) => [f, given[f] ?? 0]));
}

/** Entry point: the vec4 variant when the output channel count is a multiple of 4. */
const entry = (name: string, co: number) => `${name}${co % 4 === 0 ? 4 : 1}`;

function bindings(a: Tensor, w: Tensor, out: Tensor) {
  return { a: a.buffer, a4: a.buffer, w: w.buffer, w4: w.buffer, out: out.buffer, out4: out.buffer };
}

interface Geometry { stride: number; up: number; padH: number; padW: number }

/** The convolution of `a` (on its virtual input, see conv2d.wgsl) with w [KH, KW, Ca, Co], of shape `shape`. */
function convolve(a: Tensor, w: Tensor, shape: Shape, g: Geometry): Tensor {
  const rt = runtime();
  const { TP, TC, WG } = rt.tuning.conv2d;
  const out = Tensor.empty(shape);
  const [n, hi, wi, ca] = a.shape;
  const [, ho, wo, co] = shape;
  const [kh, kw] = w.shape;
  const pixels = n * g.up * g.up * Math.ceil(ho / g.up) * Math.ceil(wo / g.up);
  const groups = Math.ceil(pixels / (TP * WG));
  const x = Math.min(groups, 65535);
  rt.run('conv2d', entry('conv', co), bindings(a, w, out),
    params({ n, hi, wi, ca, ho, wo, co, kh, kw, stride: g.stride, up: g.up, pad_h: g.padH, pad_w: g.padW }),
    [x, Math.ceil(co / TC), Math.ceil(groups / x)], { TP, TC, WG, VEC4: ca % 4 === 0 ? 1 : 0 });
  return out;
}

/** The weights of the transposed convolution: taps mirrored, input and output channels swapped. */
function transposeTaps(w: Tensor): Tensor {
  const [kh, kw, cin, cout] = w.shape;
  const out = Tensor.empty([kh, kw, cout, cin]);
  const WG = runtime().tuning.conv2d.WG;
  runtime().run('conv2d', 'transpose_taps', { w: w.buffer, out: out.buffer }, params({ kh, kw, ca: cin, co: cout, len: w.size }), grid(w.size, WG), { WG });
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
  const out = convolve(x, w, [n, ho, wo, cout], { stride: opts.stride, up: 1, padH: p, padW: p });
  return record(out, 'conv2d', [x, w], (g) => [
    x.requiresGrad ? conv2dInputGrad(g, w, x.shape, opts) : null,
    w.requiresGrad ? conv2dWeightGrad(x, g, w.shape, opts) : null,
  ]);
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
  rt.run('conv2d', entry('weight_grad', co), bindings(x, g, partial),
    params({ n, hi, wi, ca, ho, wo, co, kh, kw, stride, up: 1, pad_h: padding, pad_w: padding, pixels_per_chunk: perChunk }),
    [rowGroups, coGroups, parts], { TC, WG, VEC4: ca % 4 === 0 ? 1 : 0 });
  return parts === 1 ? partial : sumPartials(partial, shape);
}
