// Random architectures of a space whose table cost lies in a target's band: the baseline a search
// must beat ("is the search better than random at the same latency?"). Each is drawn by a walk
// from the first node to the last that picks each next node uniformly among the successors, a
// uniform head op on each edge taken and a uniform op (skip included) on each stack layer; those
// outside the band are redrawn, and architectures that come out the same (skips removed) are
// drawn again, so the N returned are distinct.
import type { Random } from '../engine/random.js';
import type { ResolvedCosts } from './cost_chain.js';
import { choiceCost, derivedOf, inBand, type Choice, type CostBand, type TargetDerived } from './derive.js';
import { formatArch } from './net_config.js';
import type { SearchSpace } from './space.js';

export function randomChoice(space: SearchSpace, rng: Random): Choice {
  const path = [0];
  while (path[path.length - 1] !== space.numNodes - 1) { const next = space.succ[path[path.length - 1]]; path.push(next[rng.int(next.length)]); }
  const blocks = path.slice(1, -1);
  return {
    path,
    head: blocks.map(() => rng.int(space.primitivesHead.length)),
    stack: blocks.map((s) => Array.from({ length: space.numLayers[s] }, () => rng.int(space.primitivesStack.length))),
  };
}

/** `count` distinct random architectures in the band, in the order drawn; throws after `maxDraws` draws. */
export function sampleInBand(space: SearchSpace, costs: ResolvedCosts, band: CostBand, count: number, rng: Random, maxDraws = 1_000_000): TargetDerived[] {
  const out: TargetDerived[] = [], seen = new Set<string>();
  let inBandDraws = 0;
  for (let draws = 0; out.length < count; draws++) {
    if (draws >= maxDraws) {
      throw new Error(`sample: ${out.length} distinct architectures of ${count} found in [${band.lo.toFixed(3)}, ${band.hi.toFixed(3)}] after ${maxDraws} draws`
        + ` (${inBandDraws} in the band): widen the band or ask for fewer`);
    }
    const c = randomChoice(space, rng), cost = choiceCost(space, costs, c);
    if (!inBand(band, cost)) continue;
    inBandDraws++;
    const d = derivedOf(space, c), key = formatArch(d.net);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ ...d, cost, method: 'sampled', inBand: true });
  }
  return out;
}
