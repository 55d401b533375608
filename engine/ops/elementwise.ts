// Elementwise ops: sums and products of same-shape tensors, scaling, ReLU and ReLU6.
import { dispatch } from '../dispatch.js';
import { runtime } from '../runtime.js';
import { isGradEnabled, record, sizeOf, Tensor, type Shape } from '../tensor.js';
import { sameShape } from './shape.js';

/** An op over whole same-size tensors (b only where the entry reads it): its vec4 entry when the size allows. */
function map(entry: string, out: Tensor, a: Tensor, b: Tensor | null, alpha = 0, beta = 0): Tensor {
  const v4 = out.size % 4 === 0, n = v4 ? out.size / 4 : out.size;
  dispatch('elementwise', v4 ? `${entry}4` : entry, b ? { out, a, b } : { out, a }, { n, alpha, beta }, n, runtime().tuning.elementwise);
  return out;
}

/** alpha * a + beta * b */
export function axpby(a: Tensor, b: Tensor, alpha: number, beta: number): Tensor {
  sameShape('add', a, b);
  const out = map('axpby', Tensor.empty(a.shape), a, b, alpha, beta);
  return record(out, 'add', [a, b], (g) => [
    a.requiresGrad ? (alpha === 1 ? g : scale(g, alpha)) : null,
    b.requiresGrad ? (beta === 1 ? g : scale(g, beta)) : null,
  ]);
}

export function add(a: Tensor, b: Tensor): Tensor { return axpby(a, b, 1, 1); }
export function sub(a: Tensor, b: Tensor): Tensor { return axpby(a, b, 1, -1); }

export function mul(a: Tensor, b: Tensor): Tensor {
  sameShape('mul', a, b);
  const out = map('mul', Tensor.empty(a.shape), a, b);
  return record(out, 'mul', [a, b], (g) => [a.requiresGrad ? mul(g, b) : null, b.requiresGrad ? mul(g, a) : null]);
}

export function scale(a: Tensor, alpha: number): Tensor {
  const out = map('scale', Tensor.empty(a.shape), a, null, alpha);
  return record(out, 'scale', [a], (g) => [scale(g, alpha)]);
}

/** dst += alpha * src, in place and outside autograd (gradient accumulation, optimizers). */
export function accumulate(dst: Tensor, src: Tensor, alpha = 1): void {
  sameShape('accumulate', dst, src);
  map('accumulate', dst, src, null, alpha);
}

/** Copies `src` into a new tensor. */
export function copy(src: Tensor): Tensor {
  return map('scale', Tensor.empty(src.shape), src, null, 1);
}

/** The activations that ops can fuse into their output: clamps. */
export type Activation = 'relu' | 'relu6';

/**
 * What a convolution or product can apply to its output as it stores it: a per-channel bias or
 * an eval batch norm (see NormEpilogue), then an activation.
 */
export interface Epilogue { bias?: Tensor; norm?: NormEpilogue; activation?: Activation }

/**
 * An eval batch norm folded into the op that feeds it (inference only: nothing is recorded for
 * backward): `stats` and `fwd` as batchNorm computes them, and a residual added after the norm,
 * before the activation (1x1 convolutions only).
 */
export interface NormEpilogue { stats: Tensor; fwd: Tensor; residual?: Tensor }

/** Rejects a norm epilogue where a gradient would be recorded: it has no backward. */
export function checkNormEpilogue(op: string, e: Epilogue, inputs: readonly Tensor[]): void {
  if (!e.norm) return;
  if (e.bias) throw new RangeError(`${op}: give a bias or a norm epilogue, not both`);
  if (isGradEnabled() && inputs.some((t) => t.requiresGrad)) throw new Error(`${op}: a folded batch norm is for inference; run it under noGrad`);
}

const FLT_MAX = 3.4028234663852886e38;

/** The [lo, hi] clamp of an activation (none: every float). */
export function clampRange(activation?: Activation): [number, number] {
  return activation === 'relu' ? [0, FLT_MAX] : activation === 'relu6' ? [0, 6] : [-FLT_MAX, FLT_MAX];
}

/** dL/dz of y = activation(z) from dL/dy `g` and y (or z: inside the clamp's open range either tells). */
export function activationGrad(y: Tensor, g: Tensor, activation: Activation): Tensor {
  const [lo, hi] = clampRange(activation);
  return map('clamp_bwd', Tensor.empty(y.shape), y, g, lo, hi);
}

function clampOp(activation: Activation, x: Tensor): Tensor {
  const [lo, hi] = clampRange(activation);
  const out = map('clamp_fwd', Tensor.empty(x.shape), x, null, lo, hi);
  return record(out, activation, [x], (g) => [activationGrad(x, g, activation)]);
}

export function relu(x: Tensor): Tensor { return clampOp('relu', x); }
export function relu6(x: Tensor): Tensor { return clampOp('relu6', x); }

/** Elements [start, start + size of `shape`) of a flat view of `x`, as a tensor of `shape`. */
export function slice(x: Tensor, start: number, shape: Shape): Tensor {
  const n = sizeOf(shape);
  if (start < 0 || start + n > x.size) throw new RangeError(`slice: [${start}, ${start + n}) is outside a tensor of ${x.size} elements`);
  const part = (entry: string, out: Tensor, a: Tensor) => {
    dispatch('elementwise', entry, { out, a }, { n, offset: start }, n, runtime().tuning.elementwise);
    return out;
  };
  const out = part('slice_fwd', Tensor.empty(shape), x);
  return record(out, 'slice', [x], (g) => [part('slice_bwd', Tensor.zeros(x.shape), g)]);
}
