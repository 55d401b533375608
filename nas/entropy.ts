// How sure the architecture parameters are: the entropy (nats) of each head row's and stack
// layer's op softmax (temperature 1, as derivation reads them), averaged per block and over the
// blocks. Uniform weights give the largest value, ln K per row; one op certain gives 0.
import { mapArchParams, softmaxArray, type ArchParams } from './arch_params.js';
import type { SearchSpace } from './space.js';

/** Mean op entropy of each searchable block. */
export function opEntropy(space: SearchSpace, params: ArchParams): number[] {
  const ent = (m: Float64Array, k: number) => {
    const rows = [];
    for (let r = 0; r < m.length / k; r++) rows.push(-softmaxArray(m.subarray(r * k, (r + 1) * k), 1).reduce((a, p) => a + (p > 0 ? p * Math.log(p) : 0), 0));
    return rows;
  };
  return params.head.map((m, b) => {
    const rows = [...ent(m, space.primitivesHead.length), ...ent(params.stack[b], space.primitivesStack.length)];
    return rows.reduce((a, x) => a + x, 0) / Math.max(rows.length, 1);
  });
}

/** The mean over blocks of their op entropies (`blocks`, when already computed). */
export function meanOpEntropy(space: SearchSpace, params: ArchParams, blocks = opEntropy(space, params)): number {
  return blocks.reduce((x, y) => x + y, 0) / Math.max(blocks.length, 1);
}

/** The mean op entropy of uniform weights: the most a space can have. */
export const uniformOpEntropy = (space: SearchSpace) => meanOpEntropy(space, mapArchParams(space, (_k, _i, n) => new Float64Array(n)));
