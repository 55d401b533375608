// The per-step cosine learning-rate schedule of the original (spec 4.3): E = floor(n/batch) + 1
// steps an epoch, T_max = E * epochs, lr = eta_min + (base - eta_min)(1 + cos(pi t / T_max)) / 2,
// clamped to eta_min after T_max. Only weight steps advance it.
export class CosineSchedule {
  readonly stepsPerEpoch: number;
  readonly total: number;
  constructor(readonly base: number, readonly min: number, examples: number, batch: number, epochs: number) {
    this.stepsPerEpoch = Math.floor(examples / batch) + 1;
    this.total = this.stepsPerEpoch * epochs;
  }
  lr(step: number): number {
    if (step >= this.total) return this.min;
    return this.min + ((this.base - this.min) * (1 + Math.cos((Math.PI * step) / this.total))) / 2;
  }
}
