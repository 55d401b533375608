// Naive float64 global average pooling of [N, H, W, C] to [N, C].
export function globalAvgPool(x: ArrayLike<number>, [N, H, W, C]: readonly number[]): Float64Array {
  const out = new Float64Array(N * C);
  for (let n = 0; n < N; n++) for (let r = 0; r < H * W; r++) for (let c = 0; c < C; c++) out[n * C + c] += x[(n * H * W + r) * C + c] / (H * W);
  return out;
}

export function globalAvgPoolBackward(g: ArrayLike<number>, [N, H, W, C]: readonly number[]): Float64Array {
  const dx = new Float64Array(N * H * W * C);
  for (let i = 0; i < dx.length; i++) dx[i] = g[Math.floor(i / (H * W * C)) * C + (i % C)] / (H * W);
  return dx;
}
