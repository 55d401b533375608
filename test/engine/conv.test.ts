import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { conv2d } from '../../engine/ops/conv.js';
import { Random } from '../../engine/random.js';
import { Tensor } from '../../engine/tensor.js';
import { tuningFor } from '../../engine/tuning.js';
import { engine } from '../helpers.js';
import { checkConvOp } from './conv_check.js';
import type { ConvGeometry } from '../reference/conv.js';

const rt = await engine();
const rng = new Random(2);

async function check(g: ConvGeometry, numeric: boolean): Promise<void> {
  await checkConvOp(rng, g, [g.kh, g.kw, g.cin, g.cout], (x, w) => conv2d(x, w, { stride: g.stride as 1 | 2, padding: g.padding }), numeric,
    { forward: 1e-4, dx: 1e-4, dw: 3e-4, numeric: 1e-3 });
}

const cases: Array<[string, ConvGeometry, boolean]> = [
  ['stem 3->16, 3x3', { n: 2, h: 8, w: 8, cin: 3, cout: 16, kh: 3, kw: 3, stride: 1, padding: 1 }, true],
  ['stem 1->5, 3x3 stride 2, odd size', { n: 3, h: 7, w: 5, cin: 1, cout: 5, kh: 3, kw: 3, stride: 2, padding: 1 }, true],
  ['1x1 stride-2 shortcut 8->12', { n: 2, h: 9, w: 9, cin: 8, cout: 12, kh: 1, kw: 1, stride: 2, padding: 0 }, true],
  ['3x3 stride 2, 8->16, batch 1', { n: 1, h: 9, w: 9, cin: 8, cout: 16, kh: 3, kw: 3, stride: 2, padding: 1 }, true],
  ['3x3, 13->13, odd channels', { n: 3, h: 5, w: 5, cin: 13, cout: 13, kh: 3, kw: 3, stride: 1, padding: 1 }, false],
  ['3x3 on a 1x1 input', { n: 1, h: 1, w: 1, cin: 4, cout: 4, kh: 3, kw: 3, stride: 1, padding: 1 }, true],
  ['1x3 kernel, padding wider than the kernel', { n: 2, h: 5, w: 6, cin: 5, cout: 3, kh: 1, kw: 3, stride: 2, padding: 3 }, true],
  ['3x3 stride 2, no padding, even size', { n: 2, h: 10, w: 8, cin: 6, cout: 7, kh: 3, kw: 3, stride: 2, padding: 0 }, false],
  ['basic block 16->16, 3x3, 16x16, batch 4', { n: 4, h: 16, w: 16, cin: 16, cout: 16, kh: 3, kw: 3, stride: 1, padding: 1 }, false],
  ['basic block 16->32, 3x3 stride 2, 15x15', { n: 3, h: 15, w: 15, cin: 16, cout: 32, kh: 3, kw: 3, stride: 2, padding: 1 }, false],
];

for (const [name, g, numeric] of cases) test(`conv2d ${name}: forward, dx and dw match float64`, () => check(g, numeric));

// The tiles and workgroups chosen for GPUs run through other code paths: check them here too.
test('conv2d with the GPU tuning matches float64', async () => {
  const saved = structuredClone(rt.tuning);
  Object.assign(rt.tuning.conv2d, tuningFor('gpu').conv2d);
  Object.assign(rt.tuning.weightGradSplit, tuningFor('gpu').weightGradSplit);
  try {
    await check({ n: 2, h: 9, w: 7, cin: 12, cout: 20, kh: 3, kw: 3, stride: 2, padding: 1 }, false);
    await check({ n: 3, h: 6, w: 6, cin: 3, cout: 5, kh: 3, kw: 3, stride: 1, padding: 1 }, false);
  } finally {
    Object.assign(rt.tuning.conv2d, saved.conv2d);
    Object.assign(rt.tuning.weightGradSplit, saved.weightGradSplit);
  }
});

test('conv2d shape errors name the op and the shapes', () => {
  const x = Tensor.zeros([1, 5, 5, 3]);
  assert.throws(() => conv2d(x, Tensor.zeros([3, 3, 4, 8]), { stride: 1, padding: 1 }), /conv2d: weight \[3, 3, 4, 8\] takes 4 input channels, input \[1, 5, 5, 3\] has 3/);
  assert.throws(() => conv2d(x, Tensor.zeros([7, 7, 3, 8]), { stride: 1, padding: 0 }), /conv2d: a 7x7 window with padding 0 does not fit input \[1, 5, 5, 3\]/);
  assert.throws(() => conv2d(x, Tensor.zeros([3, 3, 3, 8]), { stride: 3 as 1, padding: 0 }), /conv2d: stride must be 1 or 2/);
});

test.run();
