// The dense super network (spec 1.6 to 2.3) on the engine. Every candidate op of every head edge
// and stack layer holds weights, but a step runs only the sampled ones: memory and time follow
// the sampled network. Mixing weights (edge probabilities and op weights) come from one flat
// vector computed on the CPU (nas/mix_weights.ts); the supernet slices it, so in an architecture
// step the gradient of that one vector carries every architecture gradient.
import { BatchNorm2d, Conv2d, Linear } from '../engine/nn/layers.js';
import { MBConv } from '../engine/nn/blocks.js';
import { Module } from '../engine/nn/module.js';
import { slice } from '../engine/ops/elementwise.js';
import { weightedSum } from '../engine/ops/mix.js';
import { globalAvgPool } from '../engine/ops/pool.js';
import type { Random } from '../engine/random.js';
import type { Tensor } from '../engine/tensor.js';
import { candidateModule } from './candidates.js';
import type { SampledOps } from './cost_chain.js';
import type { MixLayout } from './mix_weights.js';
import type { SearchSpace } from './space.js';

/** The candidates of one head edge or stack layer. */
class MixedOp extends Module<[x: Tensor, ids: number[], weights: Tensor, at: number]> {
  readonly ops: Module[];
  constructor(names: string[], cin: number, cout: number, stride: 1 | 2, rng: Random, bn: { eps: number; momentum: number }) {
    super();
    this.ops = names.map((n, k) => this.child(String(k), candidateModule(n, cin, cout, stride, rng, { affine: false, bn })));
  }
  /** sum_k w_k op_k(x) over the sampled ops `ids`, weighted by weights[at ..]; one op runs alone (its weight is exactly 1). */
  forward(x: Tensor, ids: number[], weights: Tensor, at: number): Tensor {
    const outs = ids.map((k) => this.ops[k].forward(x));
    return outs.length === 1 ? outs[0] : weightedSum(outs, slice(weights, at, [outs.length]));
  }
}

/** Conv, then BN with its activation: the stem and the last node's 1x1 branches. */
class ConvBnAct extends Module {
  private readonly conv: Conv2d;
  private readonly bn: BatchNorm2d;
  constructor(cin: number, cout: number, k: number, stride: 1 | 2, rng: Random, affine: boolean, bn: { eps: number; momentum: number }, activation: 'relu' | 'relu6') {
    super();
    this.conv = this.child('conv', new Conv2d(cin, cout, k, stride, rng, k === 1 ? 0 : 1));
    this.bn = this.child('bn', new BatchNorm2d(cout, { ...bn, affine, activation }));
  }
  forward(x: Tensor): Tensor { return this.bn.forward(this.conv.forward(x)); }
}

export interface SupernetOptions { bnEps: number; bnMomentum: number }

export class Supernet extends Module<[x: Tensor, sampled: SampledOps, layout: MixLayout, weights: Tensor]> {
  private readonly stem: ConvBnAct;
  private readonly headBlock?: MBConv;
  /** heads[s][r]: the edge from pred[s][r] into node s; stacks[s][l]: stack layer l of node s. */
  private readonly heads: MixedOp[][] = [];
  private readonly stacks: MixedOp[][] = [];
  private readonly lastBranches: ConvBnAct[];
  private readonly classifier: Linear;

  constructor(readonly space: SearchSpace, o: SupernetOptions, rng: Random) {
    super();
    const sp = space, n = sp.numNodes, mb = sp.netType === 'mbv2';
    // The ResNet supernet keeps the framework's default BN settings (spec 1.6).
    const bn = mb ? { eps: o.bnEps, momentum: o.bnMomentum } : { eps: 1e-5, momentum: 0.1 };
    const stride = (s: number) => s as 1 | 2;
    this.stem = this.child('stem', new ConvBnAct(sp.inChannels, sp.initDim, 3, stride(sp.stemStride), rng, !mb, bn, mb ? 'relu6' : 'relu'));
    if (mb) this.headBlock = this.child('head_block', new MBConv(sp.initDim, sp.headDim, 3, 1, 1, rng, { affine: true, bn }));
    for (let s = 1; s < n - 1; s++) {
      this.heads[s] = sp.pred[s].map((m, r) => this.child(`block${s}.head${r}`, new MixedOp(sp.primitivesHead, sp.chs[m], sp.chs[s], stride(sp.predStride[s][r]), rng, bn)));
      this.stacks[s] = Array.from({ length: sp.numLayers[s] }, (_, l) => this.child(`block${s}.stack${l}`, new MixedOp(sp.primitivesStack, sp.chs[s], sp.chs[s], 1, rng, bn)));
    }
    this.lastBranches = sp.pred[n - 1].map((m, r) => this.child(`conv1_1.${r}`, new ConvBnAct(sp.chs[m], sp.lastDim, 1, 1, rng, false, bn, 'relu6')));
    this.classifier = this.child('classifier', new Linear(sp.lastDim, sp.numClasses, rng));
  }

  /** Logits of the sampled network, mixed by `weights` laid out as `layout`. */
  forward(x: Tensor, sampled: SampledOps, layout: MixLayout, weights: Tensor): Tensor {
    const sp = this.space, n = sp.numNodes;
    let x0 = this.stem.forward(x);
    if (this.headBlock) x0 = this.headBlock.forward(x0);
    const nodes: Tensor[] = [x0];
    for (let s = 1; s < n - 1; s++) {
      const edges = sp.pred[s].map((m, r) => this.heads[s][r].forward(nodes[m], sampled.head[s - 1][r], weights, layout.head[s][r]));
      let h = weightedSum(edges, slice(weights, layout.edges[s], [edges.length]));
      this.stacks[s].forEach((op, l) => { h = op.forward(h, sampled.stack[s - 1][l], weights, layout.stack[s][l]); });
      nodes.push(h);
    }
    const branches = sp.pred[n - 1].map((m, r) => this.lastBranches[r].forward(nodes[m]));
    const last = weightedSum(branches, slice(weights, layout.last, [branches.length]));
    return this.classifier.forward(globalAvgPool(last));
  }
}
