// The graphs of spec section 1.5 and the counts of section 11, typed in from the spec, and one
// test per validation rule showing its message.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { applyOverride, loadConfig, type Config } from '../../nas/config.js';
import { buildSpace, spaceCounts, spaceProblems } from '../../nas/space.js';
import { MBV2_CFG, RES_CFG } from './paths.js';

const mbv2 = () => loadConfig([MBV2_CFG]);
const resnet = () => loadConfig([RES_CFG]);

// Spec 1.5, mbv2: successors ("s2" marks stride 2) and predecessors in in_block_idx order.
const MBV2: [string, string][] = [
  ['1s2', ''], ['2s2 3s2 4s2', '0'], ['3 4 5s2 6s2', '1'], ['4 5s2 6s2 7s2', '2 1'], ['5s2 6s2 7s2', '3 2 1'],
  ['6 7 8 9', '4 3 2'], ['7 8 9 10', '5 4 3 2'], ['8 9 10', '6 5 4 3'], ['9 10 11s2 12s2', '7 6 5'],
  ['10 11s2 12s2 13s2', '8 7 6 5'], ['11s2 12s2 13s2', '9 8 7 6'], ['12 13 14 15', '10 9 8'],
  ['13 14 15 16', '11 10 9 8'], ['14 15 16', '12 11 10 9'], ['15 16 17', '13 12 11'], ['16 17', '14 13 12 11'],
  ['17', '15 14 13 12'], ['', '16 15 14'],
];
// Spec 1.5, resnet ("4-6s2" = 4s2 5s2 6s2; "…" ranges written out).
const RES: [string, string][] = [
  ['1s2 2s2 3s2', ''], ['2 3 4s2 5s2 6s2', '0'], ['3 4s2 5s2 6s2', '1 0'], ['4s2 5s2 6s2', '2 1 0'],
  ['5 6 7s2 8s2 9s2 10s2', '3 2 1'], ['6 7s2 8s2 9s2 10s2', '4 3 2 1'], ['7s2 8s2 9s2 10s2', '5 4 3 2 1'],
  ['8 9 10 11 12 13', '6 5 4'], ['9 10 11 12 13', '7 6 5 4'], ['10 11 12 13', '8 7 6 5 4'], ['11 12 13', '9 8 7 6 5 4'],
  ['12 13 14s2 15s2 16s2 17s2', '10 9 8 7'], ['13 14s2 15s2 16s2 17s2', '11 10 9 8 7'], ['14s2 15s2 16s2 17s2', '12 11 10 9 8 7'],
  ['15 16 17 18 19 20', '13 12 11'], ['16 17 18 19 20', '14 13 12 11'], ['17 18 19 20', '15 14 13 12 11'],
  ['18 19 20', '16 15 14 13 12 11'], ['19 20 21', '17 16 15 14'], ['20 21', '18 17 16 15 14'], ['21', '19 18 17 16 15 14'],
  ['', '20 19 18'],
];

function checkGraph(cfg: Config, table: [string, string][], stacks: number[]) {
  const sp = buildSpace(cfg);
  assert.is(sp.numNodes, table.length);
  table.forEach(([succ, pred], s) => {
    const want = succ ? succ.split(' ') : [];
    assert.equal(sp.succ[s].map((t, j) => `${t}${sp.succStride[s][j] === 2 ? 's2' : ''}`), want, `successors of node ${s}`);
    assert.equal(sp.pred[s], pred ? pred.split(' ').map(Number) : [], `predecessors of node ${s}`);
    sp.pred[s].forEach((m, r) => {
      assert.is(sp.succ[m][sp.predBetaIdx[s][r]], s, `beta index of edge ${m}->${s}`);
      assert.is(sp.predStride[s][r], sp.succStride[m][sp.predBetaIdx[s][r]]);
    });
  });
  assert.equal(sp.numLayers, stacks);
}

test('mbv2 graph of spec 1.5', () => {
  checkGraph(mbv2(), MBV2, [0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0, 0, 0, 0]);
  assert.equal(buildSpace(mbv2()).chs.at(-1), 1984);
});

test('resnet graph of spec 1.5', () => {
  checkGraph(resnet(), RES, [0, 0, 0, 0, 5, 5, 5, 15, 15, 15, 15, 5, 5, 5, 5, 5, 5, 5, 1, 1, 1, 0]);
});

test('counts of spec 11', () => {
  const want = (nodes: number, head: number, betas: number, vecs: number, stack: number, headOps: number, stackOps: number, arch: number) =>
    ({ nodes, searchableBlocks: nodes - 2, headEdges: head, conv1_1Branches: 3, betaVectors: vecs, betaScalars: betas, stackLayers: stack, headOpInstances: headOps, stackOpInstances: stackOps, archScalars: arch });
  assert.equal(spaceCounts(buildSpace(mbv2())), want(18, 51, 54, 17, 39, 306, 273, 633));
  assert.equal(spaceCounts(buildSpace(resnet())), want(22, 84, 87, 21, 113, 84, 226, 397));
});

test('small inputs: 32 with stem stride 1, 28 for Fashion-MNIST', () => {
  const cfg = mbv2();
  for (const o of ['data.input_size=[3,32,32]', 'search_params.net_scale.stem_stride=1', 'search_params.net_scale.fm_sizes=[32,16,8,8,8,4,4,4,4,4,4,2,2,2,2,2,2]']) applyOverride(cfg, o);
  assert.equal(buildSpace(cfg).resolution, [32, 16, 8, 8, 8, 4, 4, 4, 4, 4, 4, 2, 2, 2, 2, 2, 2, 2]);
  const fm = mbv2();
  for (const o of ['data.input_size=(1,28,28)', 'search_params.net_scale.stem_stride=1', 'search_params.net_scale.fm_sizes=[28,14,7,7,7,3.5,3.5,3.5,3.5,3.5,3.5,1.75,1.75,1.75,1.75,1.75,1.75]']) applyOverride(fm, o);
  const sp = buildSpace(fm);
  assert.equal(sp.resolution, [28, 14, 7, 7, 7, 4, 4, 4, 4, 4, 4, 2, 2, 2, 2, 2, 2, 2]);   // ceil halving of odd sizes
  assert.is(sp.inChannels, 1);
});

// One test per rule: set keys, expect exactly this message among the problems.
function rule(name: string, overrides: string[], message: string) {
  test(`validation rule: ${name}`, () => {
    const cfg = mbv2();
    for (const o of overrides) applyOverride(cfg, o);
    const problems = spaceProblems(cfg);
    assert.ok(problems.includes(message), `got:\n${problems.join('\n')}`);
    assert.throws(() => buildSpace(cfg), (e: Error) => e.message.includes(message));
  });
}

rule('chs has at least 2 entries', ['search_params.net_scale.chs=[16]'],
  'search_params.net_scale.chs: has 1 entries; needs at least 2 (the stem node and one block)');
rule('fm_sizes length', ['search_params.net_scale.fm_sizes=[112,56]'],
  'search_params.net_scale.fm_sizes: has 2 entries; must have one per entry of search_params.net_scale.chs (17)');
rule('num_layers length', ['search_params.net_scale.num_layers=[0,3,3]'],
  'search_params.net_scale.num_layers: has 3 entries; must have one per entry of search_params.net_scale.chs (17)');
rule('stage length', ['search_params.net_scale.stage=[0,1,2,2,2,3,3,3,4,4,4,5,5,5,6,6,6]'],
  'search_params.net_scale.stage: has 17 entries; must have len(chs)+1 = 18 (one extra for the appended last_dim node)');
rule('known op names', ['search_params.PRIMITIVES_stack=[mbconv_k3_t3, sep_conv_3x3]'],
  "search_params.PRIMITIVES_stack[1]: unknown op 'sep_conv_3x3'; expected mbconv_k{3,5,7}_t{1,3,6}, fused_mbconv_k{3,5}_t{3,4}, basic_block or skip_connect");
rule('no skip_connect among head ops', ['search_params.PRIMITIVES_head=[mbconv_k3_t3, skip_connect]'],
  'search_params.PRIMITIVES_head[1]: skip_connect cannot be a head op (it ignores stride and cannot downsample, spec 1.7)');
rule('no op listed twice', ['search_params.PRIMITIVES_head=[mbconv_k3_t3, mbconv_k3_t3]'],
  "search_params.PRIMITIVES_head[1]: 'mbconv_k3_t3' is listed twice");
rule('op lists not empty', ['search_params.PRIMITIVES_head=[]'],
  'search_params.PRIMITIVES_head: is empty; needs at least one op');
rule('square input', ['data.input_size=[3,224,200]'],
  'data.input_size: 224x200 is not square; the spaces assume square images');
rule('input size consistent with the stem stride', ['data.input_size=[3,32,32]'],
  'search_params.net_scale.fm_sizes[0]: is 112 but data.input_size 3x32x32 with search_params.net_scale.stem_stride 2 gives a 16x16 stem output');
rule('head_dim equals chs[0] (mbv2)', ['optim.head_dim=24'],
  'optim.head_dim: is 24 but must equal search_params.net_scale.chs[0] = 16 (the fixed mbconv_k3_t1 produces node 0)');
rule('fm ratio 1 or 2', ['search_params.net_scale.fm_sizes=[112,56,28,28,28,14,14,14,14,14,14,7,7,7,7,7,2]'],
  'search_params.net_scale.fm_sizes[16]: 7/2 = 3.5; consecutive sizes must have ratio 1 or 2');
rule('adjoin_connect_nums covers every stage', ['search_params.adjoin_connect_nums=[4,4,4,4,4,4]'],
  'search_params.adjoin_connect_nums: has 6 entries but search_params.net_scale.stage[14] = 6 indexes it (every source node\'s stage must)');
rule('every node reachable', ['search_params.net_scale.stage=[0,1,2,2,2,3,3,3,4,4,4,5,5,5,6,6,6,8]'],
  'search_params.net_scale.stage[17]: node 17 has no incoming edge (no earlier node reaches it within adjoin_connect_nums, one stage and a size ratio of 1 or 2); every node must be reachable');
rule('every node has a successor', ['search_params.net_scale.stage=[0,1,2,2,2,3,3,3,4,4,4,5,5,5,6,6,6,8]'],
  'search_params.net_scale.stage[16]: node 16 has no successor (the next node is more than one stage later or has a size ratio other than 1 or 2); every node must lead on');

test('validation rule: init_dim equals chs[0] (res)', () => {
  const cfg = resnet();
  applyOverride(cfg, 'optim.init_dim=16');
  assert.equal(spaceProblems(cfg), ['optim.init_dim: is 16 but must equal search_params.net_scale.chs[0] = 32 (the stem produces node 0)']);
});

test('the original configs have no problems', () => {
  assert.equal(spaceProblems(mbv2()), []);
  assert.equal(spaceProblems(resnet()), []);
});

test.run();
