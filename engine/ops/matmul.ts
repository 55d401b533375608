// Matrix products and what is built on them: linear layers and 1x1 convolutions (with a bias and
// an activation applied as the product is stored), bias add, and column sums.
import { dispatch, grid } from '../dispatch.js';
import { runtime } from '../runtime.js';
import { record, Tensor } from '../tensor.js';
import { activationGrad, checkNormEpilogue, clampRange, type Activation, type Epilogue, type NormEpilogue } from './elementwise.js';
import { checkBias } from './conv.js';
import { columnSums } from './reduce.js';
import { expectRank, fmt } from './shape.js';

const MAX_GROUPS = 65535;

/**
 * op(a) x op(b), where op transposes its operand when asked: a is [M, K] ([K, M] with transA),
 * b is [K, N] ([N, K] with transB). The kernel reads through strides, so nothing is copied.
 */
export function gemm(a: Tensor, b: Tensor, transA = false, transB = false): Tensor {
  expectRank('matmul', 'the left operand', a, 2);
  expectRank('matmul', 'the right operand', b, 2);
  const [M, K] = transA ? [a.shape[1], a.shape[0]] : a.shape;
  const [Kb, N] = transB ? [b.shape[1], b.shape[0]] : b.shape;
  if (K !== Kb) {
    throw new RangeError(`matmul: ${fmt(a.shape)}${transA ? '^T' : ''} x ${fmt(b.shape)}${transB ? '^T' : ''}: inner sizes ${K} and ${Kb} differ`);
  }
  const out = product(a, b, M, N, K, transA ? [1, M] : [K, 1], transB ? [1, K] : [N, 1]);
  // With C = op(A) op(B): dop(A) = dC op(B)^T and dop(B) = op(A)^T dC, transposed back where
  // the operand was stored transposed.
  return record(out, 'matmul', [a, b], (g) => [
    a.requiresGrad ? (transA ? gemm(b, g, transB, true) : gemm(g, b, false, !transB)) : null,
    b.requiresGrad ? (transB ? gemm(g, a, true, transA) : gemm(a, g, !transA, false)) : null,
  ]);
}

/** [M, K] x [K, N] -> [M, N] */
export function matmul(a: Tensor, b: Tensor): Tensor { return gemm(a, b); }

/** A 1x1 convolution, stride 1: [N, H, W, Cin] x [Cin, Cout] (+ bias, then activation) -> [N, H, W, Cout]. */
export function pointwiseConv(x: Tensor, w: Tensor, e: Epilogue = {}): Tensor {
  expectRank('pointwiseConv', 'the input', x, 4);
  expectRank('pointwiseConv', 'the weight', w, 2);
  const [n, h, wd, cin] = x.shape;
  if (w.shape[0] !== cin) throw new RangeError(`pointwiseConv: input ${fmt(x.shape)} has ${cin} channels, weight ${fmt(w.shape)} expects ${w.shape[0]}`);
  const flat = x.reshape([n * h * wd, cin]);
  if (e.norm) return normProduct(flat, w, e.norm, e.activation, e).reshape([n, h, wd, w.shape[1]]);
  const y = e.bias || e.activation ? biasedProduct('pointwiseConv', flat, w, e) : matmul(flat, w);
  return y.reshape([n, h, wd, w.shape[1]]);
}

/** [N, in] x [in, out] (+ bias [out], then activation) -> [N, out] */
export function linear(x: Tensor, w: Tensor, bias?: Tensor, activation?: Activation): Tensor {
  expectRank('linear', 'the input', x, 2);
  expectRank('linear', 'the weight', w, 2);
  if (x.shape[1] !== w.shape[0]) throw new RangeError(`linear: input ${fmt(x.shape)} has ${x.shape[1]} features, weight ${fmt(w.shape)} expects ${w.shape[0]}`);
  return bias || activation ? biasedProduct('linear', x, w, { bias, activation }) : matmul(x, w);
}

/** activation(x w + bias) for x [M, K], w [K, N] in one pass where K is not split. */
function biasedProduct(op: string, x: Tensor, w: Tensor, { bias, activation }: Epilogue): Tensor {
  const [M, K] = x.shape, N = w.shape[1];
  checkBias(op, bias, N);
  const b = bias ?? Tensor.zeros([N]);
  const out = product(x, w, M, N, K, [K, 1], [N, 1], { bias: b, clamp: clampRange(activation) });
  if (!bias) b.dispose();   // safe: the pool hands it out again only after the recorded work is submitted
  return record(out, op, bias ? [x, w, bias] : [x, w], (g) => {
    const gz = activation ? activationGrad(out, g, activation) : g;
    const grads = [
      x.requiresGrad ? gemm(gz, w, false, true) : null,
      w.requiresGrad ? gemm(x, gz, true, false) : null,
      bias?.requiresGrad ? columnSums(gz, M, N) : null,
    ];
    if (gz !== g) gz.dispose();
    return grads;
  });
}

/** activation((x w - mean) scale + shift (+ residual)) for x [M, K], w [K, N]: inference, one pass. */
function normProduct(x: Tensor, w: Tensor, norm: NormEpilogue, activation: Activation | undefined, e: Epilogue): Tensor {
  const [M, K] = x.shape, N = w.shape[1];
  checkNormEpilogue('pointwiseConv', e, [x, w]);
  if (norm.residual && norm.residual.size !== M * N) {
    throw new RangeError(`pointwiseConv: residual ${fmt(norm.residual.shape)} does not match the output [${M}, ${N}]`);
  }
  return product(x, w, M, N, K, [K, 1], [N, 1], { norm, clamp: clampRange(activation) });
}

/** x + bias along the last dimension: [..., C] + [C]. */
export function addBias(x: Tensor, bias: Tensor): Tensor {
  expectRank('addBias', 'the bias', bias, 1);
  const C = bias.shape[0];
  if (x.shape.at(-1) !== C) throw new RangeError(`addBias: bias ${fmt(bias.shape)} does not match the last dimension of ${fmt(x.shape)}`);
  const rows = C ? x.size / C : 0;
  const out = Tensor.empty(x.shape);
  const { WG } = runtime().tuning.elementwise;
  const [lo, hi] = clampRange();
  dispatch('matmul', 'add_bias', { a: x, b: bias, c: out }, { M: rows, N: C, act_lo: lo, act_hi: hi }, grid(x.size, WG),
    { WGN: WG });
  return record(out, 'addBias', [x, bias], (g) => [
    x.requiresGrad ? g : null,
    bias.requiresGrad ? sumColumns(g.reshape([rows, C])) : null,
  ]);
}

/** Sums over the rows: [M, C] -> [C]. */
export function sumColumns(x: Tensor): Tensor {
  expectRank('sumColumns', 'the input', x, 2);
  const [rows, cols] = x.shape;
  const out = columnSums(x, rows, cols);
  return record(out, 'sumColumns', [x], (g) => [addBias(Tensor.zeros(x.shape), g)]);
}

/**
 * The block width TN, and the workgroup's width WGN in invocations, that give the most
 * multiply-adds per load (TM * TN / (TM + TN)) once the columns padded up to whole workgroups
 * are counted as lost. A workgroup is no wider than N needs (N = 32 is common); the rest of it
 * spans rows.
 */
function blockWidth(N: number): { TN: number; WGN: number } {
  const { maxWGN, TM, widths } = runtime().tuning.matmul;
  let best = { TN: widths[0], WGN: 1 }, bestScore = -1;
  for (const TN of widths) {
    const WGN = Math.min(maxWGN, 2 ** Math.ceil(Math.log2(Math.max(1, Math.ceil(N / TN)))));
    const used = N / (Math.ceil(N / (TN * WGN)) * TN * WGN);
    const score = (TM * TN / (TM + TN)) * used;
    if (score > bestScore) { best = { TN, WGN }; bestScore = score; }
  }
  return best;
}

/**
 * The blocks of a product: a workgroup of WGN x WGM invocations, each TM x TN. Where the device
 * has subgroups of the workgroup's size, a workgroup is one row of blocks whose subgroup shares
 * the loads of A (SG): one of the tuning's subgroup blocks, or for N under 8 of their columns a
 * block of N / 8 columns (N = 24: 3; less CPU time than 4 rows of 12-column blocks, 15-45% on
 * the products of W5). Below 16 columns, and elsewhere, the widest block by `blockWidth`.
 */
function blocks(M: number, N: number): { TM: number; TN: number; WGN: number; WGM: number; SG: boolean } {
  const rt = runtime();
  const { WG, subgroupBlocks } = rt.tuning.matmul;
  if (rt.device.subgroupSize === WG && WG === 8 && subgroupBlocks.length && N >= 2 * WG) {
    // Narrower than the first block's row: that block's TM with TN = N / 8 (rounded up).
    const narrow = Math.ceil(N / WG) <= subgroupBlocks[0][1] ? [[subgroupBlocks[0][0], Math.ceil(N / WG)] as const] : [];
    let best: { TM: number; TN: number } | null = null, bestUsed = 0;
    for (const [TM, TN] of [...subgroupBlocks, ...narrow]) {
      const used = N / (Math.ceil(N / (TN * WG)) * TN * WG);
      if (used > bestUsed) { best = { TM, TN }; bestUsed = used; }
    }
    // Fewer rows than a block: blocks of 8 rows (the rows a subgroup loads at once).
    if (best) return { TM: Math.min(best.TM, 8 * Math.ceil(M / 8)), TN: best.TN, WGN: WG, WGM: 1, SG: true };
  }
  const { TN, WGN } = blockWidth(N);
  const WGM = WG / WGN;
  // Fewer rows than a workgroup's blocks span (a weight gradient of 16 channels): shorter blocks
  // keep every lane on real rows (lanes past M would load and multiply for nothing).
  const TM = Math.min(rt.tuning.matmul.TM, 4 * Math.ceil(M / WGM / 4));
  return { TM, TN, WGN, WGM, SG: false };
}

/**
 * C = A x B with A(m, k) = a[m * aStrides[0] + k * aStrides[1]] and B(k, n) likewise. When the
 * output has too few workgroups to fill the device, K is split and the slices summed.
 */
function product(a: Tensor, b: Tensor, M: number, N: number, K: number, aStrides: [number, number], bStrides: [number, number],
                 epilogue?: { bias?: Tensor; norm?: NormEpilogue; clamp: [number, number] }): Tensor {
  const rt = runtime();
  const { minGroups, minK } = rt.tuning.splitK;
  const { TM, TN, WGN, WGM, SG } = blocks(M, N);
  const colGroups = Math.ceil(N / (TN * WGN)), rowGroups = Math.ceil(M / (TM * WGM));
  const groups = colGroups * rowGroups;
  // A norm epilogue needs whole sums in the product's store: K is never split for it.
  const wanted = groups >= minGroups || epilogue?.norm ? 1 : Math.min(Math.ceil(minGroups / groups), Math.floor(K / minK), MAX_GROUPS);
  const kc = Math.max(1, Math.ceil(K / Math.max(1, wanted)));
  const splits = Math.max(1, Math.ceil(K / kc));
  const c = Tensor.empty(splits === 1 ? [M, N] : [splits, M * N]);
  // vec4 accesses wherever whole vec4s line up: rows of C, rows of B, columns of A (see matmul.wgsl).
  const store4 = N % 4 === 0 && TN % 4 === 0;
  const A4 = Number(!SG && M % 4 === 0 && TM % 4 === 0 && aStrides[0] === 1), B4 = Number(store4 && bStrides[1] === 1);
  // The epilogue goes into the product's store unless K is split; then into the pass that adds the bias.
  const fused = epilogue && splits === 1;
  const norm = epilogue?.norm;
  const tensors: Record<string, Tensor> = !fused ? { a, b, c }
    : norm ? { a, b, c, stats: norm.stats, fwd: norm.fwd, res: norm.residual ?? a }   // `a`: bound, unread
    : { a, b, c, bias: epilogue.bias! };
  const params = { M, N, K, sam: aStrides[0], sak: aStrides[1], sbk: bStrides[0], sbn: bStrides[1], kc };
  const clamp: Record<string, number> = fused ? { act_lo: epilogue.clamp[0], act_hi: epilogue.clamp[1], ...(norm ? { residual: norm.residual ? 1 : 0 } : {}) } : {};
  for (let g0 = 0; g0 < rowGroups; g0 += MAX_GROUPS) {
    dispatch('matmul', `${store4 ? 'matmul_store4' : 'matmul'}${fused ? (norm ? '_norm' : '_bias') : ''}`, tensors,
      { ...params, ...clamp, m0: g0 * TM * WGM }, [colGroups, Math.min(MAX_GROUPS, rowGroups - g0), splits], { WGN, WGM, TM, TN, A4, B4, SG: Number(SG) });
  }
  if (splits === 1) return c;
  const sums = columnSums(c, splits, M * N);
  c.dispose();
  if (!epilogue) {
    const out = sums.reshape([M, N]);
    sums.dispose();
    return out;
  }
  const out = Tensor.empty([M, N]);
  const [lo, hi] = epilogue.clamp, WGE = rt.tuning.elementwise.WG;
  dispatch('matmul', 'add_bias', { a: sums, b: epilogue.bias!, c: out }, { M, N, act_lo: lo, act_hi: hi }, grid(M * N, WGE),
    { WGN: WGE });
  sums.dispose();
  return out;
}
