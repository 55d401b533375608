// The dense super network (spec 1.6 to 2.3) on the engine. Every candidate op of every head edge
// and stack layer holds weights, but a step runs only the sampled ones: memory and time follow
// the sampled network. Mixing weights (edge probabilities and op weights) come from one flat
// vector computed on the CPU (nas/mix_weights.ts); the supernet slices it, so in an architecture
// step the gradient of that one vector carries every architecture gradient.
import { Linear } from '../engine/nn/layers.js';
import { Module } from '../engine/nn/module.js';
import { slice } from '../engine/ops/elementwise.js';
import { weightedSum } from '../engine/ops/mix.js';
import { globalAvgPool } from '../engine/ops/pool.js';
import type { Random } from '../engine/random.js';
import type { Tensor } from '../engine/tensor.js';
import { candidateModule, convBnUnit, OpModule } from './candidates.js';
import type { SampledOps } from './cost_chain.js';
import type { Choice } from './derive.js';
import type { MixLayout } from './mix_weights.js';
import { conv1x1Layers, mbconvShape, stemLayers } from './op_layers.js';
import { SharedMBConv, SharedMBConvWeights } from './shared_mbconv.js';
import type { SearchSpace } from './space.js';

/** The candidates of one head edge or stack layer. */
class MixedOp extends Module<[x: Tensor, ids: number[], weights: Tensor, at: number]> {
  readonly ops: Module[];
  constructor(
    names: string[], cin: number, cout: number, stride: 1 | 2, rng: Random, bn: { eps: number; momentum: number }, share: boolean,
  ) {
    super();
    const o = { affine: false, bn };
    // With sharing, the MBConvs with expansion 1 and those with more each window one set of weights.
    const group = (name: string) => { const m = mbconvShape(name); return m && (m.t > 1 ? 'expanded' : 't1'); };
    const shared = new Map<string, SharedMBConvWeights>();
    if (share) for (const g of ['t1', 'expanded']) {
      const ops = names.filter((n) => group(n) === g).map((n) => mbconvShape(n)!);
      if (ops.length < 2) continue;
      const k = Math.max(...ops.map((x) => x.k)), t = Math.max(...ops.map((x) => x.t));
      shared.set(g, this.child(`shared_${g}`, new SharedMBConvWeights(cin, cout, k, t, rng)));
    }
    this.ops = names.map((n, i) => {
      const w = shared.get(group(n) ?? ''), m = mbconvShape(n);
      return this.child(String(i), w && m ? new SharedMBConv(w, m.k, m.t, stride, o) : candidateModule(n, cin, cout, stride, rng, o));
    });
  }
  /** sum_k w_k op_k(x) over the sampled ops `ids`, weighted by weights[at ..]; one op runs alone (its weight is exactly 1). */
  forward(x: Tensor, ids: number[], weights: Tensor, at: number): Tensor {
    const outs = ids.map((k) => this.ops[k].forward(x));
    return outs.length === 1 ? outs[0] : weightedSum(outs, slice(weights, at, [outs.length]));
  }
}

export interface SupernetOptions {
  bnEps: number; bnMomentum: number;
  /** MBConv candidates of a mixed op window shared weights (nas/shared_mbconv.ts); false = original. */
  shareWeights: boolean;
}

export class Supernet extends Module<[x: Tensor, sampled: SampledOps, layout: MixLayout, weights: Tensor]> {
  private readonly stem: Module;
  private readonly headBlock?: Module;
  /** heads[s][r]: the edge from pred[s][r] into node s; stacks[s][l]: stack layer l of node s. */
  private readonly heads: MixedOp[][] = [];
  private readonly stacks: MixedOp[][] = [];
  private readonly lastBranches: Module[];
  private readonly classifier: Linear;

  constructor(readonly space: SearchSpace, o: SupernetOptions, rng: Random) {
    super();
    const sp = space, n = sp.numNodes, mb = sp.netType === 'mbv2';
    // The ResNet supernet keeps the framework's default BN settings (spec 1.6).
    const bn = mb ? { eps: o.bnEps, momentum: o.bnMomentum } : { eps: 1e-5, momentum: 0.1 };
    const stride = (s: number) => s as 1 | 2;
    const unit = convBnUnit(rng, bn);
    const stem = stemLayers(sp.netType, sp.inChannels, sp.initDim, stride(sp.stemStride), false);
    this.stem = this.child('stem', new OpModule(stem, unit));
    // The fixed mbconv_k3_t1 after the stem: its projection BN is affine (as every expansion-1
    // MBConv's), its depthwise one is not, as in the original (spec 11 counts 32 affine values).
    if (mb) this.headBlock = this.child('head_block', candidateModule('mbconv_k3_t1', sp.initDim, sp.headDim, 1, rng, { affine: false, bn }));
    for (let s = 1; s < n - 1; s++) {
      this.heads[s] = sp.pred[s].map((m, r) => this.child(`block${s}.head${r}`,
        new MixedOp(sp.primitivesHead, sp.chs[m], sp.chs[s], stride(sp.predStride[s][r]), rng, bn, o.shareWeights)));
      this.stacks[s] = Array.from({ length: sp.numLayers[s] }, (_, l) => this.child(`block${s}.stack${l}`,
        new MixedOp(sp.primitivesStack, sp.chs[s], sp.chs[s], 1, rng, bn, o.shareWeights)));
    }
    this.lastBranches = sp.pred[n - 1].map((m, r) =>
      this.child(`conv1_1.${r}`, new OpModule(conv1x1Layers(sp.chs[m], sp.lastDim, false), unit)));
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

  /**
   * Logits of one architecture of the space on the supernet's own weights (inherited, not
   * retrained): the edges of its path, each with its one op, mixed by nothing.
   */
  forwardChoice(x: Tensor, c: Choice): Tensor {
    const sp = this.space, end = c.path.length - 1;
    let h = this.stem.forward(x);
    if (this.headBlock) h = this.headBlock.forward(h);
    for (let i = 1; i < end; i++) {
      const s = c.path[i];
      h = this.heads[s][sp.pred[s].indexOf(c.path[i - 1])].ops[c.head[i - 1]].forward(h);
      c.stack[i - 1].forEach((k, l) => { h = this.stacks[s][l].ops[k].forward(h); });
    }
    const r = sp.pred[c.path[end]].indexOf(c.path[end - 1]);
    return this.classifier.forward(globalAvgPool(this.lastBranches[r].forward(h)));
  }
}
