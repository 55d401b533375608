// The layers the search spaces are built from. Weights use He fan-out initialisation
// (N(0, sqrt(2/n)), n = kh*kw*out_channels/groups), the DenseNAS convention.
import { batchNorm, evalNorm, type BatchNormState } from '../ops/batchnorm.js';
import { conv2d } from '../ops/conv.js';
import { depthwiseConv2d } from '../ops/depthwise.js';
import { add, relu, relu6, type Epilogue } from '../ops/elementwise.js';
import { linear, pointwiseConv } from '../ops/matmul.js';
import { globalAvgPool } from '../ops/pool.js';
import type { Random } from '../random.js';
import { isGradEnabled, Tensor } from '../tensor.js';
import { Module } from './module.js';

const heFanOut = (fanOut: number) => Math.sqrt(2 / fanOut);

/** A k x k convolution without bias (HWIO weights); 1x1 stride-1 convs run as a matrix product. */
export class Conv2d extends Module {
  readonly weight: Tensor;
  constructor(readonly cin: number, readonly cout: number, readonly k: number, readonly stride: 1 | 2, rng: Random, readonly padding = Math.floor(k / 2)) {
    super();
    const shape = k === 1 ? [cin, cout] : [k, k, cin, cout];
    this.weight = this.param('weight', Tensor.randn(shape, rng, heFanOut(k * k * cout)));
  }
  forward(x: Tensor): Tensor { return this.apply(x); }

  /** True when it runs as a matrix product (which can add a residual as it stores its output). */
  get pointwise(): boolean { return this.k === 1 && this.stride === 1 && this.padding === 0; }

  /** The convolution with an epilogue (a bias or a folded norm, then an activation) applied as its output is stored. */
  apply(x: Tensor, e: Epilogue = {}): Tensor {
    if (this.pointwise && this.stride === 1 && this.padding === 0) return pointwiseConv(x, this.weight, e);
    const w = this.k === 1 ? this.weight.reshape([1, 1, this.cin, this.cout]) : this.weight;
    return conv2d(x, w, { stride: this.stride, padding: this.padding, ...e });
  }
}

export class DepthwiseConv2d extends Module {
  readonly weight: Tensor;
  constructor(readonly channels: number, readonly k: number, readonly stride: 1 | 2, rng: Random) {
    super();
    this.weight = this.param('weight', Tensor.randn([k, k, channels], rng, heFanOut(k * k)));
  }
  forward(x: Tensor): Tensor { return this.apply(x); }

  /** The convolution with an epilogue (a bias or a folded norm, then an activation) applied as its output is stored. */
  apply(x: Tensor, e: Epilogue = {}): Tensor {
    return depthwiseConv2d(x, this.weight, { stride: this.stride, padding: Math.floor(this.k / 2), ...e });
  }
}

export interface BatchNormOptions {
  affine?: boolean; momentum?: number; eps?: number;
  /** An activation applied in the same kernel (it costs no extra pass over the tensor). */
  activation?: 'relu' | 'relu6';
}

/** Batch norm over the channel (last) dimension; batch statistics in training, running ones in eval. */
export class BatchNorm2d extends Module {
  readonly weight?: Tensor;
  readonly bias?: Tensor;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;
  readonly momentum: number;
  readonly eps: number;
  readonly activation?: 'relu' | 'relu6';
  constructor(readonly channels: number, opts: BatchNormOptions = {}) {
    super();
    this.activation = opts.activation;
    this.momentum = opts.momentum ?? 0.1;
    this.eps = opts.eps ?? 1e-5;
    if (opts.affine ?? true) {
      this.weight = this.param('weight', Tensor.full([channels], 1));
      this.bias = this.param('bias', Tensor.zeros([channels]));
    }
    this.runningMean = this.buffer('running_mean', Tensor.zeros([channels]));
    this.runningVar = this.buffer('running_var', Tensor.full([channels], 1));
  }
  forward(x: Tensor): Tensor { return batchNorm(x, this.state()); }

  private state(): BatchNormState {
    return {
      weight: this.weight, bias: this.bias, runningMean: this.runningMean, runningVar: this.runningVar,
      training: this.training, momentum: this.momentum, eps: this.eps, activation: this.activation,
    };
  }

  /** True when it can be folded into the convolution feeding it: eval, and no gradient recorded. */
  get foldable(): boolean { return !this.training && !isGradEnabled(); }

  /**
   * `conv` then this norm (then `+ residual`). Folded into the convolution's store where it can be
   * (`foldable`): one pass over the output instead of two or three.
   */
  after(conv: Conv2d | DepthwiseConv2d, x: Tensor, residual?: Tensor): Tensor {
    if (!this.foldable) {
      // The residual goes into the norm's output pass where no activation comes before it.
      if (residual && !this.activation) return batchNorm(conv.forward(x), { ...this.state(), residual });
      const y = this.forward(conv.forward(x));
      return residual ? add(y, residual) : y;
    }
    const norm = evalNorm(this.state(), this.channels);
    // The product adds the residual before its clamp: only a norm without activation can take it.
    const fuseResidual = conv instanceof Conv2d && conv.pointwise && !this.activation;
    const y = conv.apply(x, { norm: { ...norm, residual: fuseResidual ? residual : undefined }, activation: this.activation });
    norm.stats.dispose(); norm.fwd.dispose();   // safe: the pool reuses them only after the recorded work is submitted
    return residual && !fuseResidual ? add(y, residual) : y;
  }
}

/** y = x W + b with W as [in, out]; weights U(-1/sqrt(in), 1/sqrt(in)) as PyTorch's default, bias 0. */
export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias?: Tensor;
  constructor(readonly inFeatures: number, readonly outFeatures: number, rng: Random, bias = true) {
    super();
    const bound = 1 / Math.sqrt(inFeatures);
    const w = new Float32Array(inFeatures * outFeatures);
    for (let i = 0; i < w.length; i++) w[i] = (rng.uniform() * 2 - 1) * bound;
    this.weight = this.param('weight', Tensor.fromArray(w, [inFeatures, outFeatures]));
    if (bias) this.bias = this.param('bias', Tensor.zeros([outFeatures]));
  }
  forward(x: Tensor): Tensor { return linear(x, this.weight, this.bias); }
}

export class ReLU extends Module { forward(x: Tensor): Tensor { return relu(x); } }
export class ReLU6 extends Module { forward(x: Tensor): Tensor { return relu6(x); } }

/** [N,H,W,C] -> [N,C] */
export class GlobalAvgPool extends Module { forward(x: Tensor): Tensor { return globalAvgPool(x); } }

/** Passes its input through unchanged. */
export class Identity extends Module { forward(x: Tensor): Tensor { return x; } }
