// Short op labels and one colour per op, shared by every plot of a run.
import type { SearchSpace } from '../space.js';
import { parseOp } from '../ops.js';
import { PALETTE } from './svg.js';

/** 'mbconv_k5_t6' -> 'k5 t6' (compact: 'k5t6'); 'basic_block' -> 'basic'; 'skip_connect' -> 'skip'. */
export function opLabel(name: string, compact = false): string {
  const op = parseOp(name);
  if (op?.kind === 'mbconv') return compact ? `k${op.k}t${op.t}` : `k${op.k} t${op.t}`;
  return op?.kind === 'basic_block' ? 'basic' : op?.kind === 'skip_connect' ? 'skip' : name;
}

/** Every candidate op of the space (head ops first), each with its colour; skip is grey (no op). */
export function opColours(space: SearchSpace): Map<string, string> {
  const names = [...new Set([...space.primitivesHead, ...space.primitivesStack])];
  let i = 0;
  return new Map(names.map((n) => [n, n === 'skip_connect' ? '#BBBBBB' : PALETTE[i++ % PALETTE.length]]));
}
