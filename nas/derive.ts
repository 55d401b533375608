// Architecture derivation (spec 5.1 to 5.3): the max-product (Viterbi) path over the beta
// softmaxes, the argmax op of each head edge and stack layer on it, skip_connect layers
// removed. Softmaxes are taken at temperature 1, as in the original (spec 2.4).
import { softmax, type ArchParams } from './arch_params.js';
import type { NetConfig } from './net_config.js';
import type { SearchSpace } from './space.js';

/** Index of the largest entry; ties keep the first. */
function argmax(x: ArrayLike<number>, from = 0, len = x.length): number {
  let best = 0;
  for (let i = 1; i < len; i++) if (x[from + i] > x[from + best]) best = i;
  return best;
}

/** The node path 0..N-1 maximising the product of edge probabilities; ties keep the nearest predecessor. */
export function derivePath(space: SearchSpace, betas: ArchParams['betas']): number[] {
  const p = betas.map((b) => softmax(b, 1));
  const score = [1], back = [-1];
  for (let s = 1; s < space.numNodes; s++) {
    let best = -1, bestScore = 0;
    space.pred[s].forEach((m, r) => {
      const v = score[m] * p[m][space.predBetaIdx[s][r]];
      if (v > bestScore) { best = m; bestScore = v; }
    });
    if (best < 0) best = space.pred[s][0];   // all products underflowed to 0: keep the nearest
    score.push(bestScore); back.push(best);
  }
  const path = [space.numNodes - 1];
  while (path[0] !== 0) path.unshift(back[path[0]]);
  return path;
}

/** The derived architecture: path, then ops by argmax (plain softmax order equals logit order). */
export function deriveArch(space: SearchSpace, params: ArchParams): { path: number[]; net: NetConfig } {
  const path = derivePath(space, params.betas);
  const kh = space.primitivesHead.length, ks = space.primitivesStack.length;
  const net: NetConfig = { netType: space.netType, blocks: [] };
  if (space.netType === 'mbv2') net.blocks.push({ chs: [space.initDim, space.headDim], head: 'mbconv_k3_t1', stack: [], stride: 1 });
  for (let i = 1; i < path.length - 1; i++) {
    const s = path[i], m = path[i - 1], r = space.pred[s].indexOf(m);
    const head = space.primitivesHead[argmax(params.head[s - 1], r * kh, kh)];
    const stack = [];
    for (let l = 0; l < space.numLayers[s]; l++) {
      const op = space.primitivesStack[argmax(params.stack[s - 1], l * ks, ks)];
      if (op !== 'skip_connect') stack.push(op);
    }
    net.blocks.push({ chs: [space.chs[m], space.chs[s]], head, stack, stride: space.predStride[s][r] });
  }
  if (space.netType === 'mbv2') net.conv1_1 = [space.chs[path[path.length - 2]], space.lastDim];
  return { path, net };
}
