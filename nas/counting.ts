// Parameters and multiply-adds (spec section 8): convs count kh*kw*C_in*C_out/groups per output
// pixel, the classifier in*out; BN, activations, residual adds and pooling count nothing.
// Affine BN layers add 2 parameters per channel. Multiply-adds are per image.
import { opBlocks, type ConvBn, type OpLayers } from './op_layers.js';
import { convOut, type OpDesc } from './ops.js';

export interface Counts {
  params: number;
  madds: number;
}

const add = (a: Counts, b: Counts): Counts => ({ params: a.params + b.params, madds: a.madds + b.madds });

/** Counts of an op's layers at input size h, with the output size. */
function layerCounts(l: OpLayers, h: number): Counts & { hOut: number } {
  let c = { params: 0, madds: 0 };
  const run = (list: ConvBn[]) => list.reduce((hIn, u) => {
    const hOut = convOut(hIn, u.k, u.stride), w = u.k * u.k * u.cout * (u.depthwise ? 1 : u.cin);
    c = add(c, { params: w + (u.affine ? 2 * u.cout : 0), madds: w * hOut * hOut });
    return hOut;
  }, h);
  const hOut = run(l.path);
  if (Array.isArray(l.shortcut)) run(l.shortcut);
  return { ...c, hOut };
}

/**
 * Counts of one op. `affine` says whether its BN layers have parameters: false for the
 * supernet's candidate ops, true in derived models.
 */
export function opCounts(d: Omit<OpDesc, 'batch'>, affine: boolean): Counts {
  if (d.op === 'classifier') return { params: d.cin * d.cout + d.cout, madds: d.cin * d.cout };
  let h = d.in, c = { params: 0, madds: 0 };
  for (const l of opBlocks(d, affine)) {
    const r = layerCounts(l, h);
    c = add(c, r);
    h = r.hOut;
  }
  return c;
}

export function sumCounts(list: Counts[]): Counts {
  return list.reduce(add, { params: 0, madds: 0 });
}
