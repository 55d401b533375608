// SGD with momentum, weight decay and optional Nesterov, as torch.optim.SGD (no dampening).
import type { Tensor } from '../tensor.js';
import { Optimizer } from './optimizer.js';

export interface SGDOptions { lr: number; momentum?: number; weightDecay?: number; nesterov?: boolean }

export class SGD extends Optimizer {
  readonly momentum: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;

  constructor(params: readonly Tensor[], opts: SGDOptions) {
    super(params, opts.lr);
    this.momentum = opts.momentum ?? 0;
    this.weightDecay = opts.weightDecay ?? 0;
    this.nesterov = opts.nesterov ?? false;
    if (this.nesterov && this.momentum <= 0) throw new RangeError('SGD: Nesterov momentum needs momentum > 0');
  }

  protected override update(i: number, param: Tensor, grad: Tensor): void {
    const hyper = { lr: this.lr, weight_decay: this.weightDecay, momentum: this.momentum, nesterov: this.nesterov ? 1 : 0 };
    if (this.momentum === 0) return this.run('sgd', { param, grad }, hyper);
    const first = !this.slots[i].momentum_buffer;
    this.run('sgd_momentum', { param, grad, buf: this.slot(i, 'momentum_buffer', false) }, { ...hyper, first: first ? 1 : 0 });
  }
}
