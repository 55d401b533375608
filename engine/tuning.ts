// Workgroup and tile sizes per adapter class, passed to kernels as override constants. A
// software adapter (lavapipe) wants few, fat invocations with register blocks; a GPU wants wide
// workgroups.
export interface Tuning {
  /** Threads per workgroup for one-dimensional elementwise kernels. */
  elementwise: { WG: number };
}

const CPU: Tuning = {
  elementwise: { WG: 64 },
};

const GPU: Tuning = {
  elementwise: { WG: 256 },
};

export function tuningFor(kind: 'cpu' | 'gpu'): Tuning {
  return kind === 'cpu' ? CPU : GPU;
}
