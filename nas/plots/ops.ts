// One colour per op, shared by every plot of a run (the labels are nas/op_layers.ts opLabel).
import type { SearchSpace } from '../space.js';
import { PALETTE } from './svg.js';

/** Every candidate op of the space (head ops first), each with its colour; skip is grey (no op). */
export function opColours(space: SearchSpace): Map<string, string> {
  const names = [...new Set([...space.primitivesHead, ...space.primitivesStack])];
  let i = 0;
  return new Map(names.map((n) => [n, n === 'skip_connect' ? '#BBBBBB' : PALETTE[i++ % PALETTE.length]]));
}
