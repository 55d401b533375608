// One search step on the supernet (spec 2.2 to 3.5), shared by the search loop and its
// benchmark: sample the ops, mix them with weights computed on the CPU, run forward (and
// backward), then update the weights by SGD (weight step) or the architecture by Adam from the
// mixing-weight gradient plus the cost loss, with the rescaling (arch step).
import type { Config } from './config.js';
import { crossEntropy } from '../engine/ops/loss.js';
import { SGD } from '../engine/optim/sgd.js';
import type { Random } from '../engine/random.js';
import { noGradAsync, Tensor, tidyAsync } from '../engine/tensor.js';
import { ArchAdam } from './arch_adam.js';
import { archGradient, archLeaves, mapArchParams, type ArchParams } from './arch_params.js';
import { chainedCostNodes, type ChainOptions, type ResolvedCosts } from './cost_chain.js';
import { costLossNode, costLossOptions } from './cost_loss.js';
import { topk } from './metrics.js';
import { mixLayout, mixWeightNodes, mixWeights } from './mix_weights.js';
import { rescaleSampled, sampleOps, type SamplePolicy } from './sampling.js';
import type { SearchSpace } from './space.js';
import { Supernet } from './supernet.js';
import { Tape } from './tape.js';
import { upload } from './training.js';
import type { Batch } from './data/loader.js';

export type Phase = 'arch' | 'weight' | 'valid';
/** The phases of a search epoch, in the order they run (spec 4.1). */
export const PHASES: readonly Phase[] = ['arch', 'weight', 'valid'];


export interface StepResult { loss: number; acc: { top1: number; top5: number }; cost: number }

export class SearchModel {
  readonly params: ArchParams;
  readonly net: Supernet;
  readonly sgd: SGD;
  readonly adam: ArchAdam;
  private readonly weights;

  constructor(readonly cfg: Config, readonly space: SearchSpace, readonly costs: ResolvedCosts, rng: Random) {
    // As the original: the architecture parameters draw from the stream before the modules.
    this.params = mapArchParams(space, (_k, _i, n) => Float64Array.from({ length: n }, () => 1e-3 * rng.normal()));
    this.net = new Supernet(space, { bnEps: cfg.optim.bn_eps, bnMomentum: cfg.optim.bn_momentum, shareWeights: cfg.search_params.weight_sharing }, rng);
    this.weights = this.net.parameters();
    const w = cfg.optim.weight, a = cfg.optim.arch;
    this.sgd = new SGD(this.weights, {
      lr: w.init_lr, momentum: w.momentum, weightDecay: w.weight_decay, nesterov: w.nesterov,
    });
    this.adam = new ArchAdam(space, {
      alphaLr: a.alpha_lr, betaLr: a.beta_lr, beta1: a.adam_beta1, beta2: a.adam_beta2, eps: a.adam_eps,
      weightDecay: a.weight_decay,
    });
    this.net.train();   // BN uses batch statistics in every phase, supernet validation included (spec 4.1)
  }

  /** The sampling policy of a phase at an epoch (spec 2.2). */
  policy(phase: Phase, epoch: number): SamplePolicy {
    const sp = this.cfg.search_params;
    if (phase !== 'weight') return phase === 'valid' ? sp.valid_policy : 'prob';
    return epoch < sp.arch_update_epoch ? 'uniform' : sp.sample_policy;
  }

  async step(phase: Phase, b: Batch, policy: SamplePolicy, rng: Random): Promise<StepResult> {
    const { cfg, space, params, sgd } = this, sp = cfg.search_params;
    const mixOpts = { temperature: sp.softmax_temp, doubleSoftmax: cfg.optim.last_node_double_softmax };
    const sampled = sampleOps(space, params, phase === 'arch' ? sp.arch_sample_num : sp.weight_sample_num, policy, rng);
    const layout = mixLayout(space, sampled);
    const so = cfg.optim.sub_obj;
    const arch = phase === 'arch';
    const chainOpts: ChainOptions = arch
      ? { temperature: so.cost_temperature ?? sp.softmax_temp, sampled, expectOver: so.expect_over }
      : { temperature: sp.softmax_temp, sampled, expectOver: 'sampled' };
    for (const p of this.weights) p.requiresGrad = phase === 'weight';
    const r = await tidyAsync(async () => {
      const { x, y } = upload(b);
      const W = Tensor.fromArray(mixWeights(space, params, sampled, layout, mixOpts), [layout.size], arch);
      const run = async () => {
        const logits = this.net.forward(x, sampled, layout, W);
        const loss = crossEntropy(logits, y);
        if (phase !== 'valid') loss.backward();
        if (phase === 'weight') sgd.step();
        return { loss: await loss.item(), logits: await logits.toArray() };
      };
      const out = phase === 'valid' ? await noGradAsync(run) : await run();
      const dW = W.grad ? await W.grad.toArray() : null;
      W.grad?.dispose();
      return { ...out, dW };
    });
    sgd.zeroGrad();
    if (!arch) {
      const t = new Tape();
      const cost = chainedCostNodes(t, space, this.costs, archLeaves(t, params), chainOpts).cost.value;
      return { loss: r.loss, acc: topk(r.logits, b.y, space.numClasses), cost };
    }
    // The architecture loss on the tape: the supernet's gradient enters as the coefficients of
    // the mixing weights, beside the cost term; one backward gives every parameter's gradient.
    let cost = 0, costTerm = 0;
    const { grad } = archGradient(space, params, (t, p) => {
      const fit = t.dot(mixWeightNodes(t, space, p, sampled, layout, mixOpts), r.dW!);
      const C = chainedCostNodes(t, space, this.costs, p, chainOpts).cost;
      cost = C.value;
      if (!cfg.optim.if_sub_obj) return fit;
      const term = costLossNode(t, C, costLossOptions(cfg));
      costTerm = term.value;
      return t.add(fit, term);
    });
    const before = mapArchParams(space, (k, i) => Float64Array.from(params[k][i]));
    this.adam.update(params, grad);
    rescaleSampled(space, before, params, sampled);
    return { loss: r.loss + costTerm, acc: topk(r.logits, b.y, space.numClasses), cost };
  }
}
