// Workgroup and tile sizes per adapter class, passed to kernels as override constants. A
// software adapter (lavapipe) wants few, fat invocations with register blocks; a GPU wants wide
// workgroups.
export interface Tuning {
  /** Threads per workgroup for one-dimensional elementwise kernels. */
  elementwise: { WG: number };
  /** Matrix product: WGN x WGM invocations a workgroup, each computing TM (<= 8) rows x 4 columns. */
  matmul: { WGN: number; WGM: number; TM: number };
  /** K is split across workgroups until a product has `minGroups` of them, keeping `minK` of K per split. */
  splitK: { minGroups: number; minK: number };
  /** Column sums: WG columns a workgroup, `rows` rows summed by one invocation per pass. */
  sumColumns: { WG: number; rows: number };
}

const CPU: Tuning = {
  elementwise: { WG: 64 },
  // Rows from workgroup_id only (WGM = 1): lavapipe then loads A once for all its SIMD lanes.
  matmul: { WGN: 8, WGM: 1, TM: 8 },
  splitK: { minGroups: 16, minK: 1024 },
  sumColumns: { WG: 16, rows: 512 },
};

const GPU: Tuning = {
  elementwise: { WG: 256 },
  // Not yet measured on a GPU: 16 x 16 invocations with 4 x 4 blocks, a 64 x 64 tile of C.
  matmul: { WGN: 16, WGM: 16, TM: 4 },
  splitK: { minGroups: 512, minK: 256 },
  sumColumns: { WG: 256, rows: 64 },
};

export function tuningFor(kind: 'cpu' | 'gpu'): Tuning {
  return kind === 'cpu' ? CPU : GPU;
}
