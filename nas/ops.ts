// Op names and op descriptions. An op description says everything that decides an op's cost:
// which op, its widths, its input size, its stride and the batch it was measured at. Its string
// form is the key of cost tables (nas/cost_table.ts):
//
//   <op>|cin=<C_in>|cout=<C_out>|in=<H_in>|s=<stride>|b=<batch>        e.g. mbconv_k3_t6|cin=16|cout=24|in=112|s=2|b=32
//   stem_mbv2|cin=3|mid=<init_dim>|cout=<head_dim>|in=224|s=2|b=32     stem conv + the fixed mbconv_k3_t1 (spec 1.6)
//
// Candidate ops: those of nas/op_layers.ts (CANDIDATE_OPS_TEXT). Fixed ops: stem_mbv2,
// stem_res (3x3 conv, BN, ReLU), conv1_1 (1x1 conv, BN, ReLU6) and classifier (the Linear
// after pooling; in=1). Images are square, so one size stands for H and W.

import { isCandidateOp } from './op_layers.js';

export const FIXED_OPS = ['stem_mbv2', 'stem_res', 'conv1_1', 'classifier'] as const;

export interface OpDesc {
  op: string;
  cin: number;
  cout: number;
  /** Input spatial size (1 for the classifier). */
  in: number;
  stride: number;
  batch: number;
  /** stem_mbv2 only: the stem conv's width (init_dim) before the fixed mbconv_k3_t1. */
  mid?: number;
}

export function opKey(d: OpDesc): string {
  const mid = d.mid !== undefined ? `|mid=${d.mid}` : '';
  return `${d.op}|cin=${d.cin}${mid}|cout=${d.cout}|in=${d.in}|s=${d.stride}|b=${d.batch}`;
}

/** Inverse of opKey; throws on a malformed key. */
export function parseOpKey(key: string): OpDesc {
  const [op, ...fields] = key.split('|');
  const f = new Map(fields.map((x) => x.split('=') as [string, string]));
  const n = (name: string) => {
    const v = Number(f.get(name));
    if (!f.has(name) || !Number.isInteger(v) || v < 1) throw new Error(`op key '${key}': field ${name} must be a positive integer`);
    return v;
  };
  if (!isCandidateOp(op) && !(FIXED_OPS as readonly string[]).includes(op)) throw new Error(`op key '${key}': unknown op '${op}'`);
  const d: OpDesc = { op, cin: n('cin'), cout: n('cout'), in: n('in'), stride: n('s'), batch: n('b') };
  if (op === 'stem_mbv2') d.mid = n('mid');
  if (opKey(d) !== key) throw new Error(`op key '${key}': expected the form ${opKey(d)}`);
  return d;
}

/** Output size of a KxK conv with padding K//2 (spec 8.2). */
export function convOut(h: number, k: number, stride: number): number {
  return Math.floor((h + 2 * Math.floor(k / 2) - k) / stride) + 1;
}
