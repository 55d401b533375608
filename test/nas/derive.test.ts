// Derivation (spec 5): parameters chosen to pick DenseNAS-C must print exactly the DenseNAS-C
// net_config of spec 5.4; the Viterbi path must equal a brute-force max-product path.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { softmax, zeroArchParams } from '../../nas/arch_params.js';
import { loadConfig } from '../../nas/config.js';
import { deriveArch, derivePath } from '../../nas/derive.js';
import { formatArch, totalLayers } from '../../nas/net_config.js';
import { buildSpace, type SearchSpace } from '../../nas/space.js';
import { MBV2_CFG, RES_CFG, config } from './paths.js';

const mbv2 = buildSpace(loadConfig([MBV2_CFG]));

test('parameters favouring DenseNAS-C derive its net_config, skip layers removed', () => {
  const p = zeroArchParams(mbv2);
  const path = [0, 1, 4, 7, 10, 11, 12, 16, 17];
  // block -> [head op, stack op per layer]; 'skip_connect' layers must disappear
  const ops: Record<number, [string, string[]]> = {
    1: ['mbconv_k3_t6', ['skip_connect', 'skip_connect', 'skip_connect']],
    4: ['mbconv_k7_t6', ['skip_connect', 'mbconv_k3_t3', 'skip_connect']],
    7: ['mbconv_k5_t6', ['mbconv_k3_t6', 'skip_connect', 'mbconv_k3_t3']],
    10: ['mbconv_k3_t6', ['mbconv_k3_t3', 'mbconv_k3_t3', 'skip_connect']],
    11: ['mbconv_k3_t6', ['mbconv_k7_t3', 'mbconv_k5_t6', 'mbconv_k7_t3']],
    12: ['mbconv_k3_t3', ['mbconv_k3_t6', 'mbconv_k3_t6', 'mbconv_k3_t6']],
    16: ['mbconv_k7_t6', []],
  };
  const kh = mbv2.primitivesHead.length, ks = mbv2.primitivesStack.length;
  for (let i = 0; i + 1 < path.length; i++) {
    const m = path[i], s = path[i + 1];
    p.betas[m][mbv2.succ[m].indexOf(s)] = 2;
    if (s === 17) continue;
    const [head, stack] = ops[s];
    p.head[s - 1][mbv2.pred[s].indexOf(m) * kh + mbv2.primitivesHead.indexOf(head)] = 0.5;
    stack.forEach((op, l) => { p.stack[s - 1][l * ks + mbv2.primitivesStack.indexOf(op)] = 0.01; });
  }
  const d = deriveArch(mbv2, p);
  assert.equal(d.path, path);
  const original = readFileSync(config('densenas_c.net_config'), 'utf8').split('\n')[0];
  assert.is(formatArch(d.net), original);
  assert.is(totalLayers(d.net), 9 + 11);   // entries + kept stack ops
});

/** Brute force: the path with the largest product of softmax(beta) along its edges. */
function bestPath(sp: SearchSpace, betas: Float64Array[]): number[] {
  let best: number[] = [], bestP = -1;
  const walk = (s: number, prob: number, path: number[]) => {
    if (s === sp.numNodes - 1) { if (prob > bestP) { bestP = prob; best = path; } return; }
    const ps = softmax(betas[s], 1);
    sp.succ[s].forEach((t, j) => walk(t, prob * ps[j], [...path, t]));
  };
  walk(0, 1, [0]);
  return best;
}

test('Viterbi path equals the brute-force best path on random betas (both spaces)', () => {
  let seed = 99;
  const rnd = () => { seed = (seed * 16807) % 2147483647; return seed / 2147483647; };
  const res = buildSpace(loadConfig([RES_CFG], ['search_params.adjoin_connect_nums=[4,4,4,4,4,4,4]']));
  for (const sp of [mbv2, res]) {
    for (let trial = 0; trial < 5; trial++) {
      const p = zeroArchParams(sp);
      for (const b of p.betas) for (let j = 0; j < b.length; j++) b[j] = rnd() * 6 - 3;
      assert.equal(derivePath(sp, p.betas), bestPath(sp, p.betas));
    }
  }
});

test('ties keep the nearest predecessor and the first op', () => {
  // All logits zero: every op argmax is a tie, kept by the first primitive.
  const d = deriveArch(mbv2, zeroArchParams(mbv2));
  for (const b of d.net.blocks.slice(1)) {
    assert.is(b.head, 'mbconv_k3_t3');
    assert.equal(b.stack, b.stack.map(() => 'mbconv_k3_t3'));
  }
  // Node 5 reached with equal scores from 4 and from 3 (1 -> 3 and 1 -> 4 equally likely,
  // 3 -> 5 and 4 -> 5 near certain): the nearest predecessor, 4, is kept.
  const q = zeroArchParams(mbv2);
  q.betas[1].set([-50, 0, 0]);
  q.betas[3].set([-50, 10, -50, -50]);
  q.betas[4].set([10, -50, -50]);
  assert.equal(derivePath(mbv2, q.betas).slice(0, 4), [0, 1, 4, 5]);
});

test.run();
