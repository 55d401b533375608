// Adam for the architecture parameters, on the CPU where they live (spec 4.2): two groups
// (alphas, betas) with their own learning rates, coupled L2 weight decay (added to the gradient,
// as torch.optim.Adam's weight_decay), bias correction.
import { mapArchParams, type ArchParams } from './arch_params.js';
import type { SearchSpace } from './space.js';

export interface ArchAdamOptions { alphaLr: number; betaLr: number; beta1: number; beta2: number; eps: number; weightDecay: number }

export class ArchAdam {
  step = 0;
  readonly m: ArchParams;
  readonly v: ArchParams;

  constructor(space: SearchSpace, readonly o: ArchAdamOptions) {
    this.m = mapArchParams(space, (_k, _i, n) => new Float64Array(n));
    this.v = mapArchParams(space, (_k, _i, n) => new Float64Array(n));
  }

  /** Updates `params` in place from `grad`. */
  update(params: ArchParams, grad: ArchParams): void {
    this.step++;
    const { beta1: b1, beta2: b2, eps, weightDecay: wd } = this.o;
    const c1 = 1 - b1 ** this.step, c2 = 1 - b2 ** this.step;
    for (const kind of ['betas', 'head', 'stack'] as const) {
      const lr = kind === 'betas' ? this.o.betaLr : this.o.alphaLr;
      params[kind].forEach((x, i) => {
        const g = grad[kind][i], m = this.m[kind][i], v = this.v[kind][i];
        for (let j = 0; j < x.length; j++) {
          const gj = g[j] + wd * x[j];
          m[j] = b1 * m[j] + (1 - b1) * gj;
          v[j] = b2 * v[j] + (1 - b2) * gj * gj;
          x[j] -= (lr * (m[j] / c1)) / (Math.sqrt(v[j] / c2) + eps);
        }
      });
    }
  }
}
