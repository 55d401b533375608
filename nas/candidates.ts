// Engine modules built from the op descriptions of nas/op_layers.ts, for the supernet, derived
// models and latency tables alike: each conv + BN unit becomes a convolution and a batch norm
// (with the activation fused) named as the description says.
import type { BlockOptions } from '../engine/nn/blocks.js';
import { BatchNorm2d, Conv2d, DepthwiseConv2d } from '../engine/nn/layers.js';
import { Module } from '../engine/nn/module.js';
import { add, relu, relu6 } from '../engine/ops/elementwise.js';
import type { Random } from '../engine/random.js';
import type { Tensor } from '../engine/tensor.js';
import { candidateLayers, type Activation, type ConvBn, type OpLayers } from './op_layers.js';

/** Batch-norm settings of a model (the framework's defaults where absent). */
export interface BnSettings { eps?: number; momentum?: number }

export const activate = (y: Tensor, act?: Activation): Tensor =>
  (act === 'relu' ? relu(y) : act === 'relu6' ? relu6(y) : y);

/** The convolution and the batch norm of one unit (weights drawn from `rng` in that order). */
export function convBnModules(u: ConvBn, rng: Random, bn?: BnSettings): [Conv2d | DepthwiseConv2d, BatchNorm2d] {
  const conv = u.depthwise
    ? new DepthwiseConv2d(u.cin, u.k, u.stride, rng) : new Conv2d(u.cin, u.cout, u.k, u.stride, rng);
  return [conv, new BatchNorm2d(u.cout, { ...bn, affine: u.affine, activation: u.act })];
}

/** The named modules one conv + BN unit becomes, run in order. */
export type UnitModules = (u: ConvBn) => Array<[name: string, m: Module]>;

/** Training form: the convolution, then the batch norm. */
export const convBnUnit = (rng: Random, bn?: BnSettings): UnitModules => (u) => {
  const [conv, norm] = convBnModules(u, rng, bn);
  return [[u.conv, conv], [u.bn, norm]];
};

/** The module of an op's layers: its units' modules, the residual, the activation after it. */
export class OpModule extends Module {
  private readonly path: Module[][];
  private readonly shortcut: Module[][];
  constructor(readonly layers: OpLayers, unit: UnitModules) {
    super();
    const build = (u: ConvBn) => unit(u).map(([name, m]) => this.child(name, m));
    this.path = layers.path.map(build);
    this.shortcut = Array.isArray(layers.shortcut) ? layers.shortcut.map(build) : [];
  }
  forward(x: Tensor): Tensor {
    const run = (units: Module[][]) => units.flat().reduce((y, m) => m.forward(y), x);
    const h = run(this.path);
    return activate(this.layers.shortcut === 'none' ? h : add(h, run(this.shortcut)), this.layers.act);
  }
}

export function candidateModule(
  name: string, cin: number, cout: number, stride: 1 | 2, rng: Random, o: BlockOptions,
): Module {
  return new OpModule(candidateLayers(name, cin, cout, stride, o.affine ?? true), convBnUnit(rng, o.bn));
}
