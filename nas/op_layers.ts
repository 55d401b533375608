// One pure description per op (spec 1.7), computed without a GPU: the convolutions of a candidate
// or fixed op, each with its batch norm and activation, the residual and the activation after it.
// From it the engine module is built (nas/candidates.ts), parameters and multiply-adds are
// counted (nas/counting.ts), latency-table ops are measured (nas/latency.ts) and export folds
// every (conv, BN) pair (nas/export.ts). A new op kind is one entry of CANDIDATE_KINDS.
import type { NetConfig } from './net_config.js';
import type { OpDesc } from './ops.js';

export type Activation = 'relu' | 'relu6';

/** A KxK convolution (padding K//2, no bias) followed by batch norm and its activation. */
export interface ConvBn {
  /** Module names of the convolution and of its batch norm (state-dict keys). */
  conv: string;
  bn: string;
  k: number;
  cin: number;
  cout: number;
  stride: 1 | 2;
  /** One filter per channel (cin = cout). */
  depthwise: boolean;
  affine: boolean;
  act?: Activation;
}

export interface OpLayers {
  /** The main path, in the order it runs. */
  path: ConvBn[];
  /** What is added to the path's output: nothing, the input, or the input through these layers. */
  shortcut: 'none' | 'identity' | ConvBn[];
  /** Activation after the addition. */
  act?: Activation;
}

function convBn(
  conv: string, bn: string, k: number, cin: number, cout: number, stride: 1 | 2, affine: boolean, act?: Activation,
): ConvBn {
  return { conv, bn, k, cin, cout, stride, depthwise: false, affine, act };
}

/** One conv + BN named 'conv' and 'bn' (stems, conv1_1 branches, width-changing skips). */
const single = (k: number, cin: number, cout: number, stride: 1 | 2, affine: boolean, act?: Activation): OpLayers =>
  ({ path: [convBn('conv', 'bn', k, cin, cout, stride, affine, act)], shortcut: 'none' });

/** The widths and stride an op is built at, and whether its batch norms are affine. */
interface Shape { cin: number; cout: number; stride: 1 | 2; affine: boolean }

interface CandidateKind {
  /** The names of the kind; the groups are passed to `layers` and `label` as numbers. */
  pattern: RegExp;
  /** The names as a person reads them in an error message. */
  names: string;
  /** False for an op that ignores its stride (it cannot be a head op, spec 1.7). */
  downsamples: boolean;
  /** Short label for plots; compact drops the spaces. */
  label: (n: number[], compact: boolean) => string;
  layers: (n: number[], s: Shape) => OpLayers;
}

/** Residual when the output shape equals the input's. */
const identityWhenSame = (s: Shape): OpLayers['shortcut'] => (s.stride === 1 && s.cin === s.cout ? 'identity' : 'none');

const CANDIDATE_KINDS: CandidateKind[] = [
  {
    // Inverted residual: [1x1 expand, BN, ReLU6] when t > 1, KxK depthwise at the stride, BN,
    // ReLU6, 1x1 project, BN.
    pattern: /^mbconv_k([357])_t([136])$/, names: 'mbconv_k{3,5,7}_t{1,3,6}', downsamples: true,
    label: ([k, t], compact) => (compact ? `k${k}t${t}` : `k${k} t${t}`),
    layers: ([k, t], s) => {
      const mid = s.cin * t, path: ConvBn[] = [];
      if (t > 1) path.push(convBn('expand', 'bn_expand', 1, s.cin, mid, 1, s.affine, 'relu6'));
      path.push({ ...convBn('depthwise', 'bn_depthwise', k, mid, mid, s.stride, s.affine, 'relu6'), depthwise: true });
      // The original builds this BN with the default affine=True when there is no expansion.
      path.push(convBn('project', 'bn_project', 1, mid, s.cout, 1, s.affine || t === 1));
      return { path, shortcut: identityWhenSame(s) };
    },
  },
  {
    // Fused inverted residual (EfficientNetV2; not in the original): the expansion and the
    // depthwise conv as one KxK conv at the stride, BN, ReLU6, then 1x1 project, BN.
    pattern: /^fused_mbconv_k([35])_t([34])$/, names: 'fused_mbconv_k{3,5}_t{3,4}', downsamples: true,
    label: ([k, t], compact) => (compact ? `f${k}t${t}` : `fused k${k} t${t}`),
    layers: ([k, t], s) => ({
      path: [
        convBn('expand', 'bn_expand', k, s.cin, s.cin * t, s.stride, s.affine, 'relu6'),
        convBn('project', 'bn_project', 1, s.cin * t, s.cout, 1, s.affine),
      ],
      shortcut: identityWhenSame(s),
    }),
  },
  {
    // 3x3 conv at the stride, BN, ReLU, 3x3 conv, BN, plus the input (through a 1x1 conv and BN
    // when the shape changes), then ReLU.
    pattern: /^basic_block$/, names: 'basic_block', downsamples: true,
    label: () => 'basic',
    layers: (_, s) => ({
      path: [
        convBn('conv1', 'bn1', 3, s.cin, s.cout, s.stride, s.affine, 'relu'),
        convBn('conv2', 'bn2', 3, s.cout, s.cout, 1, s.affine),
      ],
      shortcut: identityWhenSame(s) === 'identity'
        ? 'identity' : [convBn('shortcut', 'bn_shortcut', 1, s.cin, s.cout, s.stride, s.affine)],
      act: 'relu',
    }),
  },
  {
    // Identity when widths match, else a 1x1 conv and BN; never strides (the original's OPS table).
    pattern: /^skip_connect$/, names: 'skip_connect', downsamples: false,
    label: () => 'skip',
    layers: (_, s) => (s.cin === s.cout ? { path: [], shortcut: 'none' } : single(1, s.cin, s.cout, 1, s.affine)),
  },
];

/** The candidate kinds in words, for error messages. */
const kindNames = CANDIDATE_KINDS.map((c) => c.names);
export const CANDIDATE_OPS_TEXT = `${kindNames.slice(0, -1).join(', ')} or ${kindNames.at(-1)}`;

function candidateKind(name: string): { kind: CandidateKind; n: number[] } | undefined {
  for (const kind of CANDIDATE_KINDS) {
    const m = kind.pattern.exec(name);
    if (m) return { kind, n: m.slice(1).map(Number) };
  }
  return undefined;
}

export const isCandidateOp = (name: string): boolean => candidateKind(name) !== undefined;

/** Kernel size and expansion of an MBConv candidate (the ops that can share weights), else undefined. */
export function mbconvShape(name: string): { k: number; t: number } | undefined {
  const c = candidateKind(name);
  return c?.kind === CANDIDATE_KINDS[0] ? { k: c.n[0], t: c.n[1] } : undefined;
}

/** False for a candidate op that ignores its stride; undefined for a name that is not one. */
export const candidateDownsamples = (name: string): boolean | undefined => candidateKind(name)?.kind.downsamples;

/** 'mbconv_k5_t6' -> 'k5 t6' (compact: 'k5t6'), 'basic_block' -> 'basic'; other names as they are. */
export function opLabel(name: string, compact = false): string {
  const c = candidateKind(name);
  return c ? c.kind.label(c.n, compact) : name;
}

/**
 * The layers of a candidate op. `affine`: whether its BN layers have parameters (false in the
 * supernet, true in derived models).
 */
export function candidateLayers(name: string, cin: number, cout: number, stride: 1 | 2, affine: boolean): OpLayers {
  const c = candidateKind(name);
  if (!c) throw new Error(`unknown candidate op '${name}'; expected ${CANDIDATE_OPS_TEXT}`);
  return c.kind.layers(c.n, { cin, cout, stride, affine });
}

/**
 * The stem: 3x3 conv at the stem stride, BN and activation. The supernet's (spec 1.6) has ReLU6
 * and a non-affine BN for mbv2, ReLU and an affine BN for res; every derived model's has ReLU6
 * and an affine BN (spec 12).
 */
export function stemLayers(
  netType: NetConfig['netType'], cin: number, cout: number, stride: 1 | 2, derived: boolean,
): OpLayers {
  const mb = netType === 'mbv2';
  return single(3, cin, cout, stride, derived || !mb, derived || mb ? 'relu6' : 'relu');
}

/** Width of a derived model's stem: node 0 for mbv2 (before the fixed mbconv_k3_t1), 32 for RES_Net (spec 5.5). */
export const derivedStemWidth = (net: NetConfig): number => (net.netType === 'mbv2' ? net.blocks[0].chs[0] : 32);

/** One of the last node's 1x1 conv, BN, ReLU6 branches (conv1_1). */
export const conv1x1Layers = (cin: number, cout: number, affine: boolean): OpLayers =>
  single(1, cin, cout, 1, affine, 'relu6');

/**
 * The layers of an op description (every op but the classifier, which is a Linear) as blocks run
 * one after another; `derived` as in stemLayers, and the affine setting of candidate ops.
 */
export function opBlocks(d: Omit<OpDesc, 'in' | 'batch'>, derived: boolean): OpLayers[] {
  const stride = d.stride as 1 | 2;
  switch (d.op) {
    // the stem conv, then the fixed mbconv_k3_t1, whose projection BN alone is affine in the supernet (spec 1.6)
    case 'stem_mbv2': {
      const stem = stemLayers('mbv2', d.cin, d.mid!, stride, derived);
      return [stem, candidateLayers('mbconv_k3_t1', d.mid!, d.cout, 1, derived)];
    }
    case 'stem_res': return [stemLayers('res', d.cin, d.cout, stride, derived)];
    case 'conv1_1': return [conv1x1Layers(d.cin, d.cout, derived)];
    case 'classifier': throw new Error('the classifier is a Linear layer, not conv layers');
    default: return [candidateLayers(d.op, d.cin, d.cout, stride, derived)];
  }
}

/** Every conv + BN unit of an op's layers, path first. */
export const units = (l: OpLayers): ConvBn[] => [...l.path, ...(Array.isArray(l.shortcut) ? l.shortcut : [])];
