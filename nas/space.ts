// The dense search space (spec 1.2 to 1.5): nodes, edges, strides and beta indices, built from
// a config after validating it. Validation reports every broken rule with its key and index,
// where the original fails later with "list index out of range" (spec 9a).
import type { Config } from './config.js';
import { candidateDownsamples, CANDIDATE_OPS_TEXT } from './op_layers.js';
import { convOut } from './ops.js';

export interface SearchSpace {
  netType: 'mbv2' | 'res';
  /** Nodes: 0 the stem output, 1..N-2 the searchable blocks, N-1 the conv1_1 node. */
  numNodes: number;
  /** Per node, after appending last_dim (spec 1.2). */
  chs: number[];
  fmSizes: number[];
  stage: number[];
  numLayers: number[];
  /** Actual spatial size of each node's output at this input size. */
  resolution: number[];
  inChannels: number;
  inputSize: number;
  stemStride: number;
  initDim: number;
  headDim: number;
  lastDim: number;
  numClasses: number;
  primitivesHead: string[];
  primitivesStack: string[];
  /** out_id of each node in scan order; succStride the edge strides (spec 1.3). */
  succ: number[][];
  succStride: number[][];
  /** in_block_idx of each node, nearest first; the beta index and stride of each (spec 1.4). */
  pred: number[][];
  predBetaIdx: number[][];
  predStride: number[][];
}

export class SpaceError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid search space:\n  ${problems.join('\n  ')}`);
  }
}

const NS = 'search_params.net_scale';

/** Successors of node i by the scanning rule of spec 1.3; stops at the first failed candidate. */
function scanSuccessors(i: number, n: number, fm: number[], stage: number[], maxSucc: number): { to: number; stride: number }[] {
  const out = [];
  for (let o = i + 1; o < i + 1 + maxSucc; o++) {
    if (o >= n || stage[o] - stage[i] > 1) break;
    const ratio = fm[i] / fm[o];
    if (ratio !== 1 && ratio !== 2) break;
    out.push({ to: o, stride: ratio });
  }
  return out;
}

/** Every problem with the config's space, each naming the key, the index and the rule. */
export function spaceProblems(cfg: Config): string[] {
  const sp = cfg.search_params, { chs, fm_sizes: fm, stage, num_layers: layers } = sp.net_scale;
  const problems: string[] = [];
  const n = chs.length;
  if (n < 2) problems.push(`${NS}.chs: has ${n} entries; needs at least 2 (the stem node and one block)`);
  if (fm.length !== n) problems.push(`${NS}.fm_sizes: has ${fm.length} entries; must have one per entry of ${NS}.chs (${n})`);
  if (layers.length !== n) problems.push(`${NS}.num_layers: has ${layers.length} entries; must have one per entry of ${NS}.chs (${n})`);
  if (stage.length !== n + 1) {
    problems.push(`${NS}.stage: has ${stage.length} entries; must have len(chs)+1 = ${n + 1} (one extra for the appended last_dim node)`);
  }
  for (const [key, names, head] of [['PRIMITIVES_head', sp.PRIMITIVES_head, true], ['PRIMITIVES_stack', sp.PRIMITIVES_stack, false]] as const) {
    if (names.length === 0) problems.push(`search_params.${key}: is empty; needs at least one op`);
    names.forEach((name, i) => {
      const downsamples = candidateDownsamples(name);
      if (downsamples === undefined) {
        problems.push(`search_params.${key}[${i}]: unknown op '${name}'; expected ${CANDIDATE_OPS_TEXT}`);
      } else if (head && !downsamples) {
        problems.push(`search_params.${key}[${i}]: ${name} cannot be a head op (it ignores stride and cannot downsample, spec 1.7)`);
      }
      if (names.indexOf(name) !== i) problems.push(`search_params.${key}[${i}]: '${name}' is listed twice`);
    });
  }
  if (problems.length) return problems;   // the rules below index these lists

  const [c, h, w] = cfg.data.input_size;
  if (h !== w) problems.push(`data.input_size: ${h}x${w} is not square; the spaces assume square images`);
  const stemOut = convOut(h, 3, sp.net_scale.stem_stride);
  if (stemOut !== fm[0]) {
    problems.push(`${NS}.fm_sizes[0]: is ${fm[0]} but data.input_size ${c}x${h}x${w} with ${NS}.stem_stride ${sp.net_scale.stem_stride} `
      + `gives a ${stemOut}x${stemOut} stem output`);
  }
  if (cfg.net_type === 'mbv2' && cfg.optim.head_dim !== chs[0]) {
    problems.push(`optim.head_dim: is ${cfg.optim.head_dim} but must equal ${NS}.chs[0] = ${chs[0]} (the fixed mbconv_k3_t1 produces node 0)`);
  }
  if (cfg.net_type === 'res' && cfg.optim.init_dim !== chs[0]) {
    problems.push(`optim.init_dim: is ${cfg.optim.init_dim} but must equal ${NS}.chs[0] = ${chs[0]} (the stem produces node 0)`);
  }
  for (let i = 0; i + 1 < n; i++) {
    const r = fm[i] / fm[i + 1];
    if (r !== 1 && r !== 2) problems.push(`${NS}.fm_sizes[${i + 1}]: ${fm[i]}/${fm[i + 1]} = ${+r.toFixed(4)}; consecutive sizes must have ratio 1 or 2`);
  }
  for (let i = 0; i < n; i++) {   // sources are nodes 0..N-2 of the extended list, i.e. 0..n-1
    if (stage[i] >= sp.adjoin_connect_nums.length) {
      problems.push(`search_params.adjoin_connect_nums: has ${sp.adjoin_connect_nums.length} entries but ${NS}.stage[${i}] = ${stage[i]} `
        + 'indexes it (every source node\'s stage must)');
    }
  }
  if (problems.length) return problems;

  const g = graph(cfg);
  for (let s = 1; s <= n; s++) {
    if (g.pred[s].length === 0) {
      problems.push(`${NS}.stage[${s}]: node ${s} has no incoming edge (no earlier node reaches it within adjoin_connect_nums, `
        + 'one stage and a size ratio of 1 or 2); every node must be reachable');
    }
  }
  for (let i = 0; i < n; i++) {
    if (g.succ[i].length === 0) {
      problems.push(`${NS}.stage[${i}]: node ${i} has no successor (the next node is more than one stage later `
        + 'or has a size ratio other than 1 or 2); every node must lead on');
    }
  }
  return problems;
}

function graph(cfg: Config) {
  const sc = cfg.search_params.net_scale;
  const fm = [...sc.fm_sizes, sc.fm_sizes[sc.fm_sizes.length - 1]];
  const n = fm.length;
  const succ: number[][] = [], succStride: number[][] = [];
  for (let i = 0; i < n - 1; i++) {
    const out = scanSuccessors(i, n, fm, sc.stage, cfg.search_params.adjoin_connect_nums[sc.stage[i]]);
    succ.push(out.map((e) => e.to));
    succStride.push(out.map((e) => e.stride));
  }
  succ.push([]);
  succStride.push([]);
  const pred: number[][] = [[]], predBetaIdx: number[][] = [[]], predStride: number[][] = [[]];
  for (let s = 1; s < n; s++) {
    pred.push([]); predBetaIdx.push([]); predStride.push([]);
    for (let m = s - 1; m >= 0; m--) {
      const j = succ[m].indexOf(s);
      if (j < 0) continue;
      pred[s].push(m); predBetaIdx[s].push(j); predStride[s].push(succStride[m][j]);
    }
  }
  return { fm, succ, succStride, pred, predBetaIdx, predStride };
}

/** Validates the config's space (throwing SpaceError with every problem) and builds it. */
export function buildSpace(cfg: Config): SearchSpace {
  const problems = spaceProblems(cfg);
  if (problems.length) throw new SpaceError(problems);
  const sp = cfg.search_params, sc = sp.net_scale;
  const g = graph(cfg);
  const n = g.fm.length;
  const resolution = [convOut(cfg.data.input_size[1], 3, sc.stem_stride)];
  for (let s = 1; s < n; s++) resolution.push(convOut(resolution[g.pred[s][0]], 3, g.predStride[s][0]));
  return {
    netType: cfg.net_type,
    numNodes: n,
    chs: [...sc.chs, cfg.optim.last_dim],
    fmSizes: g.fm,
    stage: [...sc.stage],
    numLayers: [...sc.num_layers, 0],
    resolution,
    inChannels: cfg.data.input_size[0],
    inputSize: cfg.data.input_size[1],
    stemStride: sc.stem_stride,
    initDim: cfg.optim.init_dim,
    headDim: cfg.optim.head_dim,
    lastDim: cfg.optim.last_dim,
    numClasses: sp.num_classes,
    primitivesHead: [...sp.PRIMITIVES_head],
    primitivesStack: [...sp.PRIMITIVES_stack],
    succ: g.succ, succStride: g.succStride, pred: g.pred, predBetaIdx: g.predBetaIdx, predStride: g.predStride,
  };
}

/** The counts of spec section 11. */
export function spaceCounts(space: SearchSpace) {
  const n = space.numNodes, blocks = Array.from({ length: n - 2 }, (_, b) => b + 1);
  const headEdges = blocks.reduce((a, s) => a + space.pred[s].length, 0);
  const stackLayers = blocks.reduce((a, s) => a + space.numLayers[s], 0);
  const betaScalars = space.succ.reduce((a, o) => a + o.length, 0);
  const headOps = headEdges * space.primitivesHead.length, stackOps = stackLayers * space.primitivesStack.length;
  return {
    nodes: n,
    searchableBlocks: n - 2,
    headEdges,
    conv1_1Branches: space.pred[n - 1].length,
    betaVectors: n - 1,
    betaScalars,
    stackLayers,
    headOpInstances: headOps,
    stackOpInstances: stackOps,
    archScalars: betaScalars + headOps + stackOps,
  };
}
