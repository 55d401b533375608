// Weight sharing between the MBConv candidates of one mixed op, as Single-Path NAS and
// Once-for-All do: the candidates of one expansion group read windows of one set of weights (a
// kxk depthwise kernel is the centre of the group's largest one, expansion t uses the first
// t*cin channels of the widest expansion), so that whichever op is drawn, the next layers see
// related features. With independent weights, each candidate's channels mean something else
// and one uniformly drawn op per step trains a supernet that stays near chance for thousands
// of steps. Each candidate keeps its own batch norms: their statistics differ between sizes.
import { add } from '../engine/ops/elementwise.js';
import { depthwiseConv2d } from '../engine/ops/depthwise.js';
import { pointwiseConv } from '../engine/ops/matmul.js';
import { narrow } from '../engine/ops/narrow.js';
import { BatchNorm2d, Conv2d, DepthwiseConv2d } from '../engine/nn/layers.js';
import type { BlockOptions } from '../engine/nn/blocks.js';
import { Module } from '../engine/nn/module.js';
import type { Random } from '../engine/random.js';
import type { Tensor } from '../engine/tensor.js';

/** The weights of one expansion group: the widest expansion and the largest kernel of its candidates. */
export class SharedMBConvWeights extends Module {
  readonly expand?: Conv2d;
  readonly depthwise: DepthwiseConv2d;
  readonly project: Conv2d;
  constructor(readonly cin: number, readonly cout: number, readonly k: number, readonly t: number, rng: Random) {
    super();
    const mid = cin * t;
    if (t > 1) this.expand = this.child('expand', new Conv2d(cin, mid, 1, 1, rng));
    this.depthwise = this.child('depthwise', new DepthwiseConv2d(mid, k, 1, rng));
    this.project = this.child('project', new Conv2d(mid, cout, 1, 1, rng));
  }
  forward(): Tensor { throw new Error('shared weights run through the candidates that window them'); }
}

/** An MBConv candidate (k, t) over a window of shared weights, with batch norms of its own. */
export class SharedMBConv extends Module {
  private readonly bnExpand?: BatchNorm2d;
  private readonly bnDepthwise: BatchNorm2d;
  private readonly bnProject: BatchNorm2d;
  readonly residual: boolean;
  constructor(private readonly w: SharedMBConvWeights, readonly k: number, readonly t: number, readonly stride: 1 | 2, o: BlockOptions) {
    super();
    if (k > w.k || (t > 1) !== (w.t > 1) || t > w.t) throw new Error(`mbconv_k${k}_t${t} does not fit shared weights k${w.k} t${w.t}`);
    const mid = w.cin * t, affine = o.affine ?? true;
    if (t > 1) this.bnExpand = this.child('bn_expand', new BatchNorm2d(mid, { ...o.bn, affine, activation: 'relu6' }));
    this.bnDepthwise = this.child('bn_depthwise', new BatchNorm2d(mid, { ...o.bn, affine, activation: 'relu6' }));
    // As MBConv: the projection BN of an expansion-1 block is affine in the original.
    this.bnProject = this.child('bn_project', new BatchNorm2d(w.cout, { ...o.bn, affine: t === 1 ? true : affine }));
    this.residual = stride === 1 && w.cin === w.cout;
  }

  forward(x: Tensor): Tensor {
    const { w, k } = this, mid = w.cin * this.t, off = (w.k - k) / 2;
    let h = x;
    if (this.bnExpand) h = this.bnExpand.forward(pointwiseConv(h, narrow(w.expand!.weight, 1, 0, mid)));
    let dw = narrow(w.depthwise.weight, 2, 0, mid);
    if (off) dw = narrow(narrow(dw, 0, off, k), 1, off, k);
    h = this.bnDepthwise.forward(depthwiseConv2d(h, dw, { stride: this.stride, padding: Math.floor(k / 2) }));
    h = this.bnProject.forward(pointwiseConv(h, narrow(w.project.weight, 0, 0, mid)));
    return this.residual ? add(h, x) : h;
  }
}
