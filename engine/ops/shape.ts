// Shape checks shared by the ops: errors name the op and both shapes.
import type { Shape, Tensor } from '../tensor.js';

export const fmt = (s: Shape): string => `[${s.join(', ')}]`;

export function sameShape(op: string, a: Tensor, b: Tensor): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new RangeError(`${op}: shapes ${fmt(a.shape)} and ${fmt(b.shape)} differ`);
  }
}

export function expectRank(op: string, what: string, t: Tensor, rank: number): void {
  if (t.shape.length !== rank) throw new RangeError(`${op}: ${what} must have rank ${rank}, got ${fmt(t.shape)}`);
}
