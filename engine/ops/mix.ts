// The softmax-weighted mix of candidate outputs used by the supernet: sum_k w[k] xs[k], with
// gradients to every candidate and to w, which stays on the GPU. Kernels: kernels/mix.wgsl.
import { dispatch } from '../dispatch.js';
import { runtime } from '../runtime.js';
import { record, Tensor } from '../tensor.js';
import { softmax } from './loss.js';
import { fmt, sameShape } from './shape.js';

const PER_DISPATCH = 4;  // candidates bound by one dispatch (x0..x3)

function launch(entry: string, tensors: Record<string, Tensor>, params: { n: number; k0?: number; count?: number; accumulate?: boolean; chunk?: number; chunks?: number },
                invocations: number): void {
  const { accumulate, ...rest } = params;
  dispatch('mix', entry, tensors, { count: 1, ...rest, accumulate: accumulate ? 1 : 0 }, invocations, { WG: runtime().tuning.mix.WG });
}

/** Binds xs[k0 ..] as x0..x3; unused slots repeat x0 (never read). */
function candidates(xs: readonly Tensor[], k0: number): { count: number; bound: Record<string, Tensor> } {
  const group = xs.slice(k0, k0 + PER_DISPATCH);
  const bound: Record<string, Tensor> = {};
  for (let j = 0; j < PER_DISPATCH; j++) bound[`x${j}`] = group[j] ?? group[0];
  return { count: group.length, bound };
}

/** sum_k w[k] xs[k] for K same-shape tensors and weights w [K] read on the GPU. */
export function weightedSum(xs: readonly Tensor[], w: Tensor): Tensor {
  const K = xs.length;
  if (K === 0) throw new RangeError('weightedSum: no candidates');
  if (w.shape.length !== 1 || w.shape[0] !== K) throw new RangeError(`weightedSum: weights ${fmt(w.shape)} for ${K} candidates`);
  for (const x of xs) sameShape('weightedSum', xs[0], x);
  const n = xs[0].size, vec4s = Math.ceil(n / 4);
  const out = Tensor.empty(xs[0].shape, 'mix');
  for (let k0 = 0; k0 < K; k0 += PER_DISPATCH) {
    const { count, bound } = candidates(xs, k0);
    launch('mix_forward', { w, out, ...bound }, { n, k0, count, accumulate: k0 > 0 }, vec4s);
  }
  return record(out, 'weightedSum', [...xs, w], (g) => {
    const dxs: (Tensor | null)[] = [];
    for (let k0 = 0; k0 < K; k0 += PER_DISPATCH) {
      const group = xs.slice(k0, k0 + PER_DISPATCH);
      const grads = group.map((x) => Tensor.empty(x.shape, 'mix dx'));
      // Slots past the group still need distinct writable buffers (bindings may not alias).
      const standIns = Array.from({ length: PER_DISPATCH - group.length }, () => Tensor.empty([1]));
      const slots = Object.fromEntries([...grads, ...standIns].map((t, j) => [`dx${j}`, t]));
      launch('mix_scale', { w, g, ...slots }, { n, k0, count: group.length }, vec4s);
      for (const t of standIns) t.dispose();
      grads.forEach((dx, j) => dxs.push(group[j].requiresGrad ? dx : (dx.dispose(), null)));
    }
    if (!w.requiresGrad) return [...dxs, null];
    const { CHUNK, MAX_CHUNKS } = runtime().tuning.mix;
    const chunk = Math.max(CHUNK, Math.ceil(vec4s / MAX_CHUNKS)), chunks = Math.ceil(vec4s / chunk);
    const partial = Tensor.empty([K, chunks], 'mix partial sums');
    for (let k0 = 0; k0 < K; k0 += PER_DISPATCH) {
      const { count, bound } = candidates(xs, k0);
      launch('mix_dot', { g, partial, ...bound }, { n, k0, count, chunk, chunks }, chunks);
    }
    const dw = Tensor.empty([K], 'mix dw');
    launch('mix_dw', { partial, dw }, { n, count: K, chunks }, K);
    partial.dispose();
    return [...dxs, dw];
  });
}

/** weightedSum(xs, softmax(logits / temperature)): the supernet's mix, differentiable in the logits. */
export function mix(xs: readonly Tensor[], logits: Tensor, temperature = 1): Tensor {
  if (logits.shape.length !== 1) throw new RangeError(`mix: logits ${fmt(logits.shape)} must be [K]`);
  const K = logits.shape[0];
  return weightedSum(xs, softmax(logits.reshape([1, K]), temperature).reshape([K]));
}
