// The layers the search spaces are built from. Weights use He fan-out initialisation
// (N(0, sqrt(2/n)), n = kh*kw*out_channels/groups), the DenseNAS convention.
import { batchNorm } from '../ops/batchnorm.js';
import { conv2d } from '../ops/conv.js';
import { depthwiseConv2d } from '../ops/depthwise.js';
import { relu, relu6, type Epilogue } from '../ops/elementwise.js';
import { linear, pointwiseConv } from '../ops/matmul.js';
import { globalAvgPool } from '../ops/pool.js';
import type { Random } from '../random.js';
import { Tensor } from '../tensor.js';
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

  /** The convolution with a bias and activation applied as its output is stored. */
  protected apply(x: Tensor, e: Epilogue = {}): Tensor {
    if (this.k === 1 && this.stride === 1 && this.padding === 0) return pointwiseConv(x, this.weight, e);
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

  /** The convolution with a bias and activation applied as its output is stored. */
  protected apply(x: Tensor, e: Epilogue = {}): Tensor {
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
  forward(x: Tensor): Tensor {
    return batchNorm(x, {
      weight: this.weight, bias: this.bias, runningMean: this.runningMean, runningVar: this.runningVar,
      training: this.training, momentum: this.momentum, eps: this.eps, activation: this.activation,
    });
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
