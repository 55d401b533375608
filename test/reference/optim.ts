// Float64 references of torch.optim.SGD and torch.optim.Adam for one parameter.
export interface SGDRef { lr: number; momentum: number; weightDecay: number; nesterov: boolean }

export function sgdStep(p: Float64Array, g: ArrayLike<number>, o: SGDRef, state: { buf?: Float64Array }): void {
  const d = Float64Array.from(g, (v, i) => v + o.weightDecay * p[i]);
  if (o.momentum !== 0) {
    state.buf = state.buf ? state.buf.map((b, i) => o.momentum * b + d[i]) : Float64Array.from(d);
    for (let i = 0; i < d.length; i++) d[i] = o.nesterov ? d[i] + o.momentum * state.buf[i] : state.buf[i];
  }
  for (let i = 0; i < p.length; i++) p[i] -= o.lr * d[i];
}

export interface AdamRef { lr: number; betas: [number, number]; eps: number; weightDecay: number }

export function adamStep(p: Float64Array, g: ArrayLike<number>, o: AdamRef, state: { step: number; m: Float64Array; v: Float64Array }): void {
  const [b1, b2] = o.betas;
  const t = ++state.step;
  for (let i = 0; i < p.length; i++) {
    const d = g[i] + o.weightDecay * p[i];
    state.m[i] = b1 * state.m[i] + (1 - b1) * d;
    state.v[i] = b2 * state.v[i] + (1 - b2) * d * d;
    const mHat = state.m[i] / (1 - b1 ** t), vHat = state.v[i] / (1 - b2 ** t);
    p[i] -= o.lr * mHat / (Math.sqrt(vHat) + o.eps);
  }
}
