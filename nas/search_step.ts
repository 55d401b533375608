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
import { archGradient, archLeaves, mapArchParams, zeroArchParams, type ArchParams } from './arch_params.js';
import { chainedCostNodes, type ChainOptions, type ResolvedCosts, type SampledOps } from './cost_chain.js';
import { costLoss, costLossNode, costLossOptions } from './cost_loss.js';
import { mean, topk } from './metrics.js';
import { mixLayout, mixWeightNodes, mixWeights, type MixLayout } from './mix_weights.js';
import { addChoiceLogProbGradient, rescaleSampled, sampleChoice, sampleOps, type SamplePolicy } from './sampling.js';
import { choiceCost, deriveArch, type Choice } from './derive.js';
import type { SearchSpace } from './space.js';
import { Supernet } from './supernet.js';
import { Tape } from './tape.js';
import { upload } from './training.js';
import type { Batch } from './data/loader.js';

export type Phase = 'arch' | 'weight' | 'valid';
/** The phases of a search epoch, in the order they run (spec 4.1). */
export const PHASES: readonly Phase[] = ['arch', 'weight', 'valid'];


export interface StepResult { loss: number; acc: { top1: number; top5: number }; cost: number }

/** REINFORCE weights of n samples' losses with a leave-one-out baseline: (L_k - mean of the others) / n. */
export function leaveOneOutWeights(losses: number[]): number[] {
  const n = losses.length, sum = losses.reduce((a, b) => a + b, 0);
  return losses.map((l) => (l - (sum - l) / (n - 1)) / n);
}

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
    const sp = this.cfg.search_params;
    if (phase === 'arch') {
      const g = await this.archGradient(b, rng);
      const grad = mapArchParams(this.space, (k, i) => g.fit[k][i].map((v, j) => v + g.costTerm[k][i][j]));
      const before = mapArchParams(this.space, (k, i) => Float64Array.from(this.params[k][i]));
      this.adam.update(this.params, grad);
      if (g.sampled) rescaleSampled(this.space, before, this.params, g.sampled);
      return g.result;
    }
    if (sp.weight_sampling === 'path') return this.pathStep(phase, b, policy, rng);
    const sampled = sampleOps(this.space, this.params, sp.weight_sample_num, policy, rng);
    const r = await this.run(phase, b, sampled);
    const t = new Tape();
    const cost = chainedCostNodes(t, this.space, this.costs, archLeaves(t, this.params), { temperature: sp.softmax_temp, sampled, expectOver: 'sampled' }).cost.value;
    return { loss: r.loss, acc: topk(r.logits, b.y, this.space.numClasses), cost };
  }

  /**
   * One batch's architecture gradient, in its two parts: the supernet's fit and the cost term;
   * an arch step descends their sum. `sampled`: the ops a 'mixture' step mixed, which the
   * rescaling after the step keeps to their mass.
   */
  async archGradient(b: Batch, rng: Random): Promise<{ fit: ArchParams; costTerm: ArchParams; sampled?: SampledOps; result: StepResult }> {
    const { cfg, space, params } = this, so = cfg.optim.sub_obj, sp = cfg.search_params;
    if (sp.arch_gradient === 'paths') return this.pathsGradient(b, rng);
    const sampled = sampleOps(space, params, sp.arch_sample_num, 'prob', rng);
    const fit = await this.mixtureFit(b, sampled);
    const chainOpts: ChainOptions = { temperature: so.cost_temperature ?? sp.softmax_temp, sampled, expectOver: so.expect_over };
    let cost = 0;
    const term = archGradient(space, params, (t, p) => {
      const C = chainedCostNodes(t, space, this.costs, p, chainOpts).cost;
      cost = C.value;
      return cfg.optim.if_sub_obj ? costLossNode(t, C, costLossOptions(cfg)) : t.mul(0, C);
    });
    return { fit: fit.grad, costTerm: term.grad, sampled, result: { loss: fit.loss + term.value, acc: fit.acc, cost } };
  }

  /** The mixture's gradient: the supernet's gradient enters as the coefficients of the mixing weights. */
  private async mixtureFit(b: Batch, sampled: SampledOps) {
    const { space, params } = this;
    const r = await this.run('arch', b, sampled);
    const g = archGradient(space, params, (t, p) => t.dot(mixWeightNodes(t, space, p, sampled, r.layout, this.mixOpts), r.dW!));
    return { grad: g.grad, loss: r.loss, acc: topk(r.logits, b.y, space.numClasses) };
  }

  /**
   * REINFORCE over whole architectures: arch_paths choices drawn from the distribution run alone
   * on the batch, and each one's log-probability gradient is weighed by its loss minus the mean
   * of the others' (the same images for all, so the batch's own difficulty cancels). Its loss is
   * its cross-entropy (the fit) plus the cost term of its own table cost: a cost term on the
   * expected cost would be met by a spread of cheap and dear architectures, and keep the
   * distribution from settling on one.
   */
  private async pathsGradient(b: Batch, rng: Random) {
    const { cfg, space, params } = this, n = cfg.search_params.arch_paths;
    const choices = Array.from({ length: n }, () => sampleChoice(space, params, rng));
    const ce: number[] = [], acc = { top1: 0, top5: 0 };
    for (const c of choices) {
      const r = await this.runChoice(b, c);
      ce.push(r.loss);
      const a = topk(r.logits, b.y, space.numClasses);
      acc.top1 += a.top1 / n; acc.top5 += a.top5 / n;
    }
    const costs = choices.map((c) => choiceCost(space, this.costs, c));
    const terms = costs.map((C) => (cfg.optim.if_sub_obj ? costLoss(C, costLossOptions(cfg)).value : 0));
    const fit = zeroArchParams(space), costTerm = zeroArchParams(space);
    const weights = leaveOneOutWeights(ce), costWeights = leaveOneOutWeights(terms);
    choices.forEach((c, k) => {
      addChoiceLogProbGradient(space, params, c, weights[k], fit);
      addChoiceLogProbGradient(space, params, c, costWeights[k], costTerm);
    });
    return { fit, costTerm, result: { loss: mean(ce) + mean(terms), acc, cost: mean(costs) } };
  }

  /**
   * weight_sampling 'path': a weight step trains one whole architecture drawn by the policy,
   * alone, as architecture steps over 'paths' and scoring run one; validation runs the derived one.
   */
  private async pathStep(phase: Phase, b: Batch, policy: SamplePolicy, rng: Random): Promise<StepResult> {
    const { space, params } = this;
    const c = phase === 'weight' ? sampleChoice(space, params, rng, policy === 'uniform' ? 'uniform' : 'prob') : deriveArch(space, params).choice;
    const r = await this.runChoice(b, c, phase === 'weight');
    return { loss: r.loss, acc: topk(r.logits, b.y, space.numClasses), cost: choiceCost(space, this.costs, c) };
  }

  /** One architecture of the supernet alone on a batch (and its SGD step when `train`), batch statistics in BN as every search phase. */
  private async runChoice(b: Batch, c: Choice, train = false): Promise<{ loss: number; logits: Float32Array }> {
    for (const p of this.weights) p.requiresGrad = train;
    const r = await tidyAsync(async () => {
      const { x, y } = upload(b);
      const forward = async () => {
        const logits = this.net.forwardChoice(x, c);
        const loss = crossEntropy(logits, y);
        if (train) { loss.backward(); this.sgd.step(); }
        return { loss: await loss.item(), logits: await logits.toArray() };
      };
      return train ? forward() : noGradAsync(forward);
    });
    this.sgd.zeroGrad();
    return r;
  }

  private get mixOpts() {
    return { temperature: this.cfg.search_params.softmax_temp, doubleSoftmax: this.cfg.optim.last_node_double_softmax };
  }

  /** Forward (and backward, and the SGD step in a weight phase) of the sampled ops, mixed by their weights; dW: the mixing weights' gradient in an arch phase, laid out by `layout`. */
  private async run(phase: Phase, b: Batch, sampled: SampledOps): Promise<{ loss: number; logits: Float32Array; dW: Float32Array | null; layout: MixLayout }> {
    const { space, params, sgd } = this, arch = phase === 'arch';
    const layout = mixLayout(space, sampled);
    for (const p of this.weights) p.requiresGrad = phase === 'weight';
    const r = await tidyAsync(async () => {
      const { x, y } = upload(b);
      const W = Tensor.fromArray(mixWeights(space, params, sampled, layout, this.mixOpts), [layout.size], arch);
      const forward = async () => {
        const logits = this.net.forward(x, sampled, layout, W);
        const loss = crossEntropy(logits, y);
        if (phase !== 'valid') loss.backward();
        if (phase === 'weight') sgd.step();
        return { loss: await loss.item(), logits: await logits.toArray() };
      };
      const out = phase === 'valid' ? await noGradAsync(forward) : await forward();
      const dW = W.grad ? await W.grad.toArray() : null;
      W.grad?.dispose();
      return { ...out, dW };
    });
    sgd.zeroGrad();
    return { ...r, layout };
  }
}
