// Naive float64 batch norm over x as [rows, C] (channels last), PyTorch semantics.
export interface BatchNormRef {
  weight?: Float64Array; bias?: Float64Array;
  runningMean: Float64Array; runningVar: Float64Array;
  training: boolean; momentum: number; eps: number;
  activation?: 'relu' | 'relu6';
}

const CLAMPS = { relu: [0, Infinity], relu6: [0, 6] } as const;

/** Per-channel mean and biased variance over the rows. */
export function channelMoments(x: ArrayLike<number>, C: number): { mean: Float64Array; variance: Float64Array } {
  const rows = x.length / C;
  const mean = new Float64Array(C), variance = new Float64Array(C);
  for (let r = 0; r < rows; r++) for (let c = 0; c < C; c++) mean[c] += x[r * C + c] / rows;
  for (let r = 0; r < rows; r++) for (let c = 0; c < C; c++) variance[c] += (x[r * C + c] - mean[c]) ** 2 / rows;
  return { mean, variance };
}

function statistics(x: ArrayLike<number>, C: number, s: BatchNormRef) {
  return s.training ? channelMoments(x, C) : { mean: s.runningMean, variance: s.runningVar };
}

function normalised(x: ArrayLike<number>, C: number, s: BatchNormRef): Float64Array {
  const { mean, variance } = statistics(x, C, s);
  return Float64Array.from(x, (v, i) => (v - mean[i % C]) / Math.sqrt(variance[i % C] + s.eps) * (s.weight?.[i % C] ?? 1) + (s.bias?.[i % C] ?? 0));
}

export function batchNorm(x: ArrayLike<number>, C: number, s: BatchNormRef): Float64Array {
  const y = normalised(x, C, s);
  if (!s.activation) return y;
  const [lo, hi] = CLAMPS[s.activation];
  return y.map((v) => Math.min(hi, Math.max(lo, v)));
}

/** The running statistics after one training forward. */
export function updatedRunningStats(x: ArrayLike<number>, C: number, s: BatchNormRef): { mean: Float64Array; variance: Float64Array } {
  const n = x.length / C;
  const { mean, variance } = channelMoments(x, C);
  return {
    mean: s.runningMean.map((r, c) => (1 - s.momentum) * r + s.momentum * mean[c]),
    variance: s.runningVar.map((r, c) => (1 - s.momentum) * r + s.momentum * variance[c] * n / (n - 1)),
  };
}

/** Analytic gradients for upstream gradient g (of the activation's output when there is one). */
export function batchNormBackward(x: ArrayLike<number>, upstream: ArrayLike<number>, C: number, s: BatchNormRef) {
  const rows = x.length / C;
  let g = upstream;
  if (s.activation) {
    const [lo, hi] = CLAMPS[s.activation], y = normalised(x, C, s);
    g = Float64Array.from(upstream, (v, i) => (y[i] > lo && y[i] < hi ? v : 0));
  }
  const { mean, variance } = statistics(x, C, s);
  const invStd = variance.map((v) => 1 / Math.sqrt(v + s.eps));
  const xhat = Float64Array.from(x, (v, i) => (v - mean[i % C]) * invStd[i % C]);
  const dweight = new Float64Array(C), dbias = new Float64Array(C);
  for (let i = 0; i < x.length; i++) { dweight[i % C] += g[i] * xhat[i]; dbias[i % C] += g[i]; }
  const dx = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const c = i % C;
    const k = (s.weight?.[c] ?? 1) * invStd[c];
    dx[i] = s.training ? k * (g[i] - dbias[c] / rows - xhat[i] * dweight[c] / rows) : k * g[i];
  }
  return { dx, dweight, dbias };
}
