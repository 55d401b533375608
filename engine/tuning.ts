// Workgroup and tile sizes per adapter class, passed to kernels as override constants. A
// software adapter (lavapipe) wants few, fat invocations with register blocks; a GPU wants wide
// workgroups.
export interface Tuning {
  /** Threads per workgroup for one-dimensional elementwise kernels. */
  elementwise: { WG: number };
  /** Convolution as an implicit matrix product: TP pixels (at most 8) x TC output channels (a multiple of 4, at most 16) per invocation. */
  conv2d: { TP: number; TC: number; WG: number };
  /** Depthwise convolution: TH x TW pixels (at most 4 x 8) x 4 channels per invocation; WG_C x WG_P invocations over channel groups x pixel blocks. */
  depthwise: { TH: number; TW: number; KR: number; WG_C: number; WG_P: number };
  /** Weight gradients are split into partial sums over output pixels: enough for about `workgroups` workgroups (not an override). */
  weightGradSplit: { workgroups: number };
}

const CPU: Tuning = {
  elementwise: { WG: 64 },
  conv2d: { TP: 8, TC: 16, WG: 32 },
  depthwise: { TH: 2, TW: 4, KR: 3, WG_C: 1, WG_P: 16 },
  weightGradSplit: { workgroups: 64 },
};

const GPU: Tuning = {
  elementwise: { WG: 256 },
  conv2d: { TP: 4, TC: 8, WG: 128 },
  depthwise: { TH: 2, TW: 4, KR: 3, WG_C: 16, WG_P: 16 },
  weightGradSplit: { workgroups: 2048 },
};

export function tuningFor(kind: 'cpu' | 'gpu'): Tuning {
  return kind === 'cpu' ? CPU : GPU;
}
