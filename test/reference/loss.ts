// Naive float64 softmax and cross-entropy over rows of [R, C].
export function softmax(x: ArrayLike<number>, C: number, temperature = 1): Float64Array {
  const y = new Float64Array(x.length);
  for (let base = 0; base < x.length; base += C) {
    let m = -Infinity;
    for (let j = 0; j < C; j++) m = Math.max(m, x[base + j] / temperature);
    let s = 0;
    for (let j = 0; j < C; j++) s += (y[base + j] = Math.exp(x[base + j] / temperature - m));
    for (let j = 0; j < C; j++) y[base + j] /= s;
  }
  return y;
}

export function softmaxBackward(y: ArrayLike<number>, g: ArrayLike<number>, C: number, temperature = 1): Float64Array {
  const dx = new Float64Array(y.length);
  for (let base = 0; base < y.length; base += C) {
    let gy = 0;
    for (let j = 0; j < C; j++) gy += g[base + j] * y[base + j];
    for (let j = 0; j < C; j++) dx[base + j] = y[base + j] * (g[base + j] - gy) / temperature;
  }
  return dx;
}

function target(label: number, j: number, C: number, eps: number): number {
  return (j === label ? 1 - eps : 0) + eps / C;
}

export function logSoftmax(x: ArrayLike<number>, C: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let base = 0; base < x.length; base += C) {
    let m = -Infinity, s = 0;
    for (let j = 0; j < C; j++) m = Math.max(m, x[base + j]);
    for (let j = 0; j < C; j++) s += Math.exp(x[base + j] - m);
    for (let j = 0; j < C; j++) out[base + j] = x[base + j] - m - Math.log(s);
  }
  return out;
}

/** Mean over rows of sum_j -target_j log_softmax_j. */
export function crossEntropy(logits: ArrayLike<number>, labels: ArrayLike<number>, C: number, eps = 0): number {
  const logp = logSoftmax(logits, C), rows = labels.length;
  let loss = 0;
  for (let i = 0; i < logp.length; i++) loss -= target(labels[Math.floor(i / C)], i % C, C, eps) * logp[i] / rows;
  return loss;
}

export function crossEntropyBackward(logits: ArrayLike<number>, labels: ArrayLike<number>, C: number, eps = 0, g = 1): Float64Array {
  const p = softmax(logits, C), rows = labels.length;
  return p.map((v, i) => g / rows * (v - target(labels[Math.floor(i / C)], i % C, C, eps)));
}
