// The candidate blocks of the DenseNAS search spaces (spec section 1.7): MBConv for the
// MobileNetV2-based space, BasicBlock and Bottleneck for the ResNet-based one, Skip for both.
import { add, relu } from '../ops/elementwise.js';
import type { Random } from '../random.js';
import type { Tensor } from '../tensor.js';
import { BatchNorm2d, Conv2d, DepthwiseConv2d, type BatchNormOptions } from './layers.js';
import { Module } from './module.js';

export interface BlockOptions { affine?: boolean; bn?: Omit<BatchNormOptions, 'affine'> }

function bn(c: number, affine: boolean, o: BlockOptions, activation?: 'relu' | 'relu6'): BatchNorm2d {
  return new BatchNorm2d(c, { ...o.bn, affine, activation });
}

/**
 * Inverted residual: [1x1 expand, BN, ReLU6] (when expansion > 1), KxK depthwise at `stride`,
 * BN, ReLU6, 1x1 project, BN. The residual is added when the output shape equals the input's.
 */
export class MBConv extends Module {
  private readonly expand?: Conv2d;
  private readonly bnExpand?: BatchNorm2d;
  private readonly depthwise: DepthwiseConv2d;
  private readonly bnDepthwise: BatchNorm2d;
  private readonly project: Conv2d;
  private readonly bnProject: BatchNorm2d;
  readonly residual: boolean;

  constructor(readonly cin: number, readonly cout: number, readonly k: number, readonly stride: 1 | 2, readonly expansion: number, rng: Random, o: BlockOptions = {}) {
    super();
    const affine = o.affine ?? true, mid = cin * expansion;
    if (expansion > 1) {
      this.expand = this.child('expand', new Conv2d(cin, mid, 1, 1, rng));
      this.bnExpand = this.child('bn_expand', bn(mid, affine, o, 'relu6'));
    }
    this.depthwise = this.child('depthwise', new DepthwiseConv2d(mid, k, stride, rng));
    this.bnDepthwise = this.child('bn_depthwise', bn(mid, affine, o, 'relu6'));
    this.project = this.child('project', new Conv2d(mid, cout, 1, 1, rng));
    // The original builds this BN with the default affine=True when there is no expansion.
    this.bnProject = this.child('bn_project', bn(cout, expansion === 1 ? true : affine, o));
    this.residual = stride === 1 && cin === cout;
  }

  forward(x: Tensor): Tensor {
    let h = x;
    if (this.expand) h = this.bnExpand!.after(this.expand, h);
    h = this.bnDepthwise.after(this.depthwise, h);
    return this.bnProject.after(this.project, h, this.residual ? x : undefined);
  }
}

/** 3x3 conv at `stride`, BN, ReLU, 3x3 conv, BN, plus a shortcut (1x1 conv + BN when shapes change), then ReLU. */
export class BasicBlock extends Module {
  private readonly conv1: Conv2d;
  private readonly bn1: BatchNorm2d;
  private readonly conv2: Conv2d;
  private readonly bn2: BatchNorm2d;
  private readonly shortcut?: Conv2d;
  private readonly bnShortcut?: BatchNorm2d;

  constructor(readonly cin: number, readonly cout: number, readonly stride: 1 | 2, rng: Random, o: BlockOptions = {}) {
    super();
    const affine = o.affine ?? true;
    this.conv1 = this.child('conv1', new Conv2d(cin, cout, 3, stride, rng));
    this.bn1 = this.child('bn1', bn(cout, affine, o, 'relu'));
    this.conv2 = this.child('conv2', new Conv2d(cout, cout, 3, 1, rng));
    this.bn2 = this.child('bn2', bn(cout, affine, o));
    if (stride !== 1 || cin !== cout) {
      this.shortcut = this.child('shortcut', new Conv2d(cin, cout, 1, stride, rng, 0));
      this.bnShortcut = this.child('bn_shortcut', bn(cout, affine, o));
    }
  }

  forward(x: Tensor): Tensor {
    const h = this.bn2.after(this.conv2, this.bn1.after(this.conv1, x));
    const s = this.shortcut ? this.bnShortcut!.after(this.shortcut, x) : x;
    return relu(add(h, s));
  }
}

/**
 * ResNet-50-style bottleneck: 1x1 to `planes`, 3x3 at `stride`, 1x1 to 4*planes, with a
 * projection shortcut when shapes change. bn1-bn3 are always affine, as in the original.
 */
export class Bottleneck extends Module {
  static readonly expansion = 4;
  private readonly convs: Conv2d[];
  private readonly bns: BatchNorm2d[];
  private readonly shortcut?: Conv2d;
  private readonly bnShortcut?: BatchNorm2d;

  constructor(readonly inplanes: number, readonly planes: number, readonly stride: 1 | 2, rng: Random, o: BlockOptions = {}) {
    super();
    const out = planes * Bottleneck.expansion;
    this.convs = [
      this.child('conv1', new Conv2d(inplanes, planes, 1, 1, rng)),
      this.child('conv2', new Conv2d(planes, planes, 3, stride, rng)),
      this.child('conv3', new Conv2d(planes, out, 1, 1, rng)),
    ];
    this.bns = [planes, planes, out].map((c, i) => this.child(`bn${i + 1}`, bn(c, true, o, i < 2 ? 'relu' : undefined)));
    if (stride !== 1 || inplanes !== out) {
      this.shortcut = this.child('shortcut', new Conv2d(inplanes, out, 1, stride, rng, 0));
      this.bnShortcut = this.child('bn_shortcut', bn(out, o.affine ?? true, o));
    }
  }

  forward(x: Tensor): Tensor {
    let h = x;
    for (let i = 0; i < 3; i++) h = this.bns[i].after(this.convs[i], h);
    const s = this.shortcut ? this.bnShortcut!.after(this.shortcut, x) : x;
    return relu(add(h, s));
  }
}

/** Identity when widths match, else a 1x1 conv + BN; never strides (as the original's OPS table). */
export class Skip extends Module {
  private readonly conv?: Conv2d;
  private readonly bnConv?: BatchNorm2d;
  constructor(readonly cin: number, readonly cout: number, rng: Random, o: BlockOptions = {}) {
    super();
    if (cin !== cout) {
      this.conv = this.child('conv', new Conv2d(cin, cout, 1, 1, rng));
      this.bnConv = this.child('bn', bn(cout, o.affine ?? true, o));
    }
  }
  forward(x: Tensor): Tensor { return this.conv ? this.bnConv!.after(this.conv, x) : x; }
}
