// Workgroup and tile sizes per adapter class, passed to kernels as override constants. A
// software adapter (lavapipe) wants few, fat invocations with register blocks; a GPU wants wide
// workgroups.
export interface Tuning {
  /** Threads per workgroup for one-dimensional elementwise kernels. */
  elementwise: { WG: number };
  /**
   * Batch norm: threads per workgroup; least rows per invocation in its per-channel passes; most
   * partial sums per channel, which its finalize passes add serially (longer inputs get more rows).
   */
  batchnorm: { WG: number; ROWS: number; MAX_CHUNKS: number };
  /** Threads per workgroup for pooling, softmax and cross-entropy, and optimizer kernels. */
  pool: { WG: number };
  softmax: { WG: number };
  optim: { WG: number };
  /** Candidate mixing: threads per workgroup; least vec4s per invocation and most partial sums in its gradient reduction. */
  mix: { WG: number; CHUNK: number; MAX_CHUNKS: number };
  /**
   * Matrix product: WG invocations a workgroup, at most maxWGN of them along N (powers of two),
   * each a TM x TN block of C (at most 24 x 12). TN is one of `widths`, the one that does the
   * most multiply-adds per load once columns padded to whole workgroups count as lost.
   * `subgroupBlocks`: the TM x TN blocks (TM a multiple of 8, at most 24) for a workgroup that is
   * one subgroup of WG lanes along N, which loads the rows of A once for all lanes (matmul.wgsl's
   * SG); the one that pads fewest columns is taken. Empty: never.
   */
  matmul: { WG: number; maxWGN: number; TM: number; widths: readonly number[]; subgroupBlocks: readonly (readonly [number, number])[] };
  /** K is split across workgroups until a product has `minGroups` of them, keeping `minK` of K per split. */
  splitK: { minGroups: number; minK: number };
  /** Column sums: WG columns a workgroup, `rows` rows summed by one invocation per pass. */
  sumColumns: { WG: number; rows: number };
  /** Convolution as an implicit matrix product: TP pixels (at most 8) x TC output channels (a multiple of 4, at most 16) per invocation. */
  conv2d: { TP: number; TC: number; WG: number };
  /** Depthwise convolution: TH x TW pixels (at most 4 x 8) x 4 channels per invocation; WG_C x WG_P invocations over channel groups x pixel blocks. */
  depthwise: { TH: number; TW: number; KR: number; WG_C: number; WG_P: number };
  /** Weight gradients are split into partial sums over output pixels: enough for about `workgroups` workgroups (not an override). */
  weightGradSplit: { workgroups: number };
}

const CPU: Tuning = {
  elementwise: { WG: 64 },
  batchnorm: { WG: 64, ROWS: 64, MAX_CHUNKS: 1024 },
  pool: { WG: 64 },
  softmax: { WG: 64 },
  optim: { WG: 64 },
  mix: { WG: 64, CHUNK: 64, MAX_CHUNKS: 4096 },
  // One SIMD group of lavapipe, and the largest blocks that LLVM keeps unrolled: loads are the cost.
  // With the rows of A shared through the subgroup, 24 x 8 beats 16 x 12 where both fit N
  // (W1: about 150 against 190 ms of CPU); more than 192 accumulators fall off a cliff (5x).
  matmul: { WG: 8, maxWGN: 8, TM: 16, widths: [12, 8], subgroupBlocks: [[24, 8], [16, 12]] },
  splitK: { minGroups: 16, minK: 1024 },
  sumColumns: { WG: 16, rows: 512 },
  conv2d: { TP: 8, TC: 16, WG: 32 },
  depthwise: { TH: 2, TW: 4, KR: 3, WG_C: 1, WG_P: 16 },
  weightGradSplit: { workgroups: 64 },
};

const GPU: Tuning = {
  elementwise: { WG: 256 },
  batchnorm: { WG: 256, ROWS: 16, MAX_CHUNKS: 256 },
  pool: { WG: 256 },
  softmax: { WG: 256 },
  optim: { WG: 256 },
  mix: { WG: 256, CHUNK: 16, MAX_CHUNKS: 256 },
  // Not yet measured on a GPU: 16 x 16 invocations with 4 x 4 blocks, a 64 x 64 tile of C.
  matmul: { WG: 256, maxWGN: 16, TM: 4, widths: [4], subgroupBlocks: [] },
  splitK: { minGroups: 512, minK: 256 },
  sumColumns: { WG: 256, rows: 64 },
  conv2d: { TP: 4, TC: 8, WG: 128 },
  depthwise: { TH: 2, TW: 4, KR: 3, WG_C: 16, WG_P: 16 },
  weightGradSplit: { workgroups: 2048 },
};

export function tuningFor(kind: 'cpu' | 'gpu'): Tuning {
  return kind === 'cpu' ? CPU : GPU;
}
