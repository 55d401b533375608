// How sure the architecture parameters are: the entropy (nats) of each head row's and stack
// layer's op softmax (temperature 1, as derivation reads them), averaged per block and over the
// blocks. Uniform weights give the largest value, ln K per row; one op certain gives 0.
import { mapArchParams, softmaxArray, type ArchParams } from './arch_params.js';
import { choiceOpRows, rowLogits, type Choice } from './derive.js';
import type { SearchSpace } from './space.js';

/** Entropy (nats) of one row's op softmax. */
const rowEntropy = (row: Float64Array) => -softmaxArray(row, 1).reduce((a, p) => a + (p > 0 ? p * Math.log(p) : 0), 0);

/** Mean op entropy of each searchable block. */
export function opEntropy(space: SearchSpace, params: ArchParams): number[] {
  const ent = (m: Float64Array, k: number) => Array.from({ length: m.length / k }, (_, r) => rowEntropy(m.subarray(r * k, (r + 1) * k)));
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

/**
 * How sure the weights are of the architecture a choice is: the op entropy of the rows it uses
 * (the head edge into each block on its path, the block's stack layers) as a share of uniform
 * weights' on those rows. Rows off the path belong to no derived network, and architecture steps
 * over whole architectures (arch_gradient 'paths') rarely visit them, so they keep the mean over
 * all rows high while the architecture itself is decided.
 */
export function choiceOpEntropyShare(space: SearchSpace, params: ArchParams, c: Choice): number {
  let ent = 0, most = 0;
  for (const row of choiceOpRows(space, c)) {
    const logits = rowLogits(space, params, row);
    ent += rowEntropy(logits); most += Math.log(logits.length);
  }
  return most > 0 ? ent / most : 0;
}
