// densenas space: the search space a config builds (spec 1.5) and its size (spec 11).
import type { Argv } from 'yargs';
import { buildSpace, spaceCounts } from '../nas/space.js';
import { configFrom, jsonOption, withConfig } from './options.js';

export const command = 'space';
export const describe = 'validate a search config and print its graph and counts';
export const builder = (y: Argv) => withConfig(y).demandOption('config').option('json', jsonOption);

export function handler(argv: { config: string; set: string[]; json: boolean }): void {
  const space = buildSpace(configFrom(argv));
  const counts = spaceCounts(space);
  const nodes = space.chs.map((ch, s) => ({
    node: s, ch, fm: space.fmSizes[s], resolution: space.resolution[s], stage: space.stage[s], stackLayers: space.numLayers[s],
    successors: space.succ[s].map((to, j) => ({ to, stride: space.succStride[s][j] })),
    predecessors: space.pred[s].map((from, r) => ({ from, stride: space.predStride[s][r], betaIdx: space.predBetaIdx[s][r] })),
  }));
  if (argv.json) {
    console.log(JSON.stringify({ netType: space.netType, primitivesHead: space.primitivesHead, primitivesStack: space.primitivesStack, nodes, counts }));
    return;
  }
  const edges = (list: { stride: number }[], id: (e: never) => number) => list.map((e) => `${id(e as never)}${e.stride === 2 ? ' s2' : ''}`).join(', ') || '-';
  console.log(`${space.netType} space, input ${space.inChannels}x${space.inputSize}x${space.inputSize}, stem stride ${space.stemStride}`);
  console.log('node    ch    fm   res  stage  stack  successors                  predecessors');
  for (const n of nodes) {
    const name = n.node === 0 ? '0 stem' : n.node === space.numNodes - 1 ? `${n.node} c1_1` : String(n.node);
    console.log(`${name.padEnd(8)}${String(n.ch).padEnd(6)}${String(n.fm).padEnd(5)}${String(n.resolution).padEnd(5)}${String(n.stage).padEnd(7)}` +
      `${String(n.stackLayers).padEnd(7)}${edges(n.successors, (e: { to: number }) => e.to).padEnd(28)}${edges(n.predecessors, (e: { from: number }) => e.from)}`);
  }
  console.log(`head ops: ${space.primitivesHead.join(', ')}`);
  console.log(`stack ops: ${space.primitivesStack.join(', ')}`);
  for (const [k, v] of Object.entries(counts)) console.log(`${k} ${v}`);
}
