// Naive float64 references for the matrix-product family, with their analytic backward.

/** op(a) x op(b): a is [M, K] ([K, M] when transA), b is [K, N] ([N, K] when transB). */
export function gemm(a: ArrayLike<number>, b: ArrayLike<number>, M: number, N: number, K: number, transA = false, transB = false): Float64Array {
  const c = new Float64Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += (transA ? a[k * M + m] : a[m * K + k]) * (transB ? b[n * K + k] : b[k * N + n]);
      c[m * N + n] = s;
    }
  }
  return c;
}

/** Gradients of sum(g * (op(a) x op(b))) with respect to the stored a and b. */
export function gemmBackward(a: ArrayLike<number>, b: ArrayLike<number>, g: ArrayLike<number>, M: number, N: number, K: number,
                             transA = false, transB = false): { da: Float64Array; db: Float64Array } {
  const da = new Float64Array(M * K), db = new Float64Array(K * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      const gmn = g[m * N + n];
      for (let k = 0; k < K; k++) {
        const ia = transA ? k * M + m : m * K + k, ib = transB ? n * K + k : k * N + n;
        da[ia] += gmn * b[ib];
        db[ib] += gmn * a[ia];
      }
    }
  }
  return { da, db };
}

/** [rows, cols] -> [cols] */
export function sumColumns(x: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const s = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) s[c] += x[r * cols + c];
  return s;
}

/** [rows, C] + [C] */
export function addBias(x: ArrayLike<number>, bias: ArrayLike<number>): Float64Array {
  const C = bias.length;
  return Float64Array.from(x, (v, i) => v + bias[i % C]);
}
