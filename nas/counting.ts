// Parameters and multiply-adds (spec section 8): convs count kh*kw*C_in*C_out/groups per output
// pixel, the classifier in*out; BN, activations, residual adds and pooling count nothing.
// Affine BN layers add 2 parameters per channel. Multiply-adds are per image.
import { convOut, parseOp, type OpDesc } from './ops.js';

export interface Counts {
  params: number;
  madds: number;
}

const add = (a: Counts, b: Counts): Counts => ({ params: a.params + b.params, madds: a.madds + b.madds });

/** A KxK conv (groups = C_in when depthwise) at output size hOut, with its BN. */
function conv(k: number, cin: number, cout: number, hOut: number, depthwise: boolean, affineBn: boolean): Counts {
  const w = depthwise ? k * k * cout : k * k * cin * cout;
  return { params: w + (affineBn ? 2 * cout : 0), madds: w * hOut * hOut };
}

function mbconv(k: number, t: number, cin: number, cout: number, h: number, stride: number, affine: boolean): Counts {
  const mid = cin * t, hOut = convOut(h, k, stride);
  let c = { params: 0, madds: 0 };
  if (t > 1) c = add(c, conv(1, cin, mid, h, false, affine));
  c = add(c, conv(k, mid, mid, hOut, true, affine));
  return add(c, conv(1, mid, cout, hOut, false, affine || t === 1));   // t=1 projection BN is always affine (spec 1.7)
}

/**
 * Counts of one op. `affine` says whether its BN layers have parameters: false for the
 * supernet's candidate ops, true in derived models.
 */
export function opCounts(d: Omit<OpDesc, 'batch'>, affine: boolean): Counts {
  const { cin, cout, in: h, stride } = d;
  const spec = parseOp(d.op);
  if (spec?.kind === 'mbconv') return mbconv(spec.k, spec.t, cin, cout, h, stride, affine);
  if (spec?.kind === 'basic_block') {
    const hOut = convOut(h, 3, stride);
    const c = add(conv(3, cin, cout, hOut, false, affine), conv(3, cout, cout, hOut, false, affine));
    return stride !== 1 || cin !== cout ? add(c, conv(1, cin, cout, hOut, false, affine)) : c;
  }
  if (spec?.kind === 'skip_connect') return cin === cout ? { params: 0, madds: 0 } : conv(1, cin, cout, h, false, affine);
  switch (d.op) {
    case 'stem_mbv2': {
      const hOut = convOut(h, 3, stride);
      return add(conv(3, cin, d.mid!, hOut, false, affine), mbconv(3, 1, d.mid!, cout, hOut, 1, affine));
    }
    case 'stem_res': return conv(3, cin, cout, convOut(h, 3, stride), false, affine);
    case 'conv1_1': return conv(1, cin, cout, h, false, affine);
    case 'classifier': return { params: cin * cout + cout, madds: cin * cout };
  }
  throw new Error(`cannot count op '${d.op}'`);
}

export function sumCounts(list: Counts[]): Counts {
  return list.reduce(add, { params: 0, madds: 0 });
}
