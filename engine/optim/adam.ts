// Adam with coupled (L2) weight decay and bias correction, as torch.optim.Adam.
import type { Tensor } from '../tensor.js';
import { Optimizer } from './optimizer.js';

export interface AdamOptions { lr: number; betas?: [number, number]; eps?: number; weightDecay?: number }

export class Adam extends Optimizer {
  readonly betas: [number, number];
  readonly eps: number;
  readonly weightDecay: number;

  constructor(params: readonly Tensor[], opts: AdamOptions) {
    super(params, opts.lr);
    this.betas = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0;
  }

  protected override update(i: number, param: Tensor, grad: Tensor, step: number): void {
    const [beta1, beta2] = this.betas;
    this.run('adam', { param, grad, buf: this.slot(i, 'exp_avg', true), buf2: this.slot(i, 'exp_avg_sq', true) }, {
      lr: this.lr, weight_decay: this.weightDecay, beta1, beta2, eps: this.eps,
      step_size: this.lr / (1 - beta1 ** step), bias_correction2_sqrt: Math.sqrt(1 - beta2 ** step),
    });
  }
}
