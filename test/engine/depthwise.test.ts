import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { depthwiseConv2d } from '../../engine/ops/depthwise.js';
import { Random } from '../../engine/random.js';
import { Tensor } from '../../engine/tensor.js';
import { tuningFor } from '../../engine/tuning.js';
import { engine } from '../helpers.js';
import { checkConvOp } from './conv_check.js';
import type { ConvGeometry } from '../reference/conv.js';

const rt = await engine();
const rng = new Random(3);

interface Case { n: number; h: number; w: number; c: number; k: number; stride: 1 | 2; padding?: number; numeric?: boolean }

async function check({ n, h, w: wd, c, k, stride, padding = (k - 1) / 2, numeric = false }: Case): Promise<void> {
  const g: ConvGeometry = { n, h, w: wd, cin: c, cout: c, kh: k, kw: k, stride, padding, depthwise: true };
  await checkConvOp(rng, g, [k, k, c], (x, w) => depthwiseConv2d(x, w, { stride, padding }), numeric,
    { forward: 1e-5, dx: 1e-5, dw: 1e-4, numeric: 1e-4 });
}

const cases: Case[] = [
  { n: 1, h: 1, w: 1, c: 1, k: 3, stride: 1, numeric: true },
  { n: 3, h: 5, w: 7, c: 3, k: 3, stride: 1, numeric: true },
  { n: 1, h: 9, w: 9, c: 5, k: 3, stride: 2, numeric: true },
  { n: 3, h: 7, w: 5, c: 13, k: 5, stride: 1 },
  { n: 1, h: 9, w: 7, c: 8, k: 5, stride: 2, numeric: true },
  { n: 3, h: 7, w: 9, c: 16, k: 7, stride: 1 },
  { n: 1, h: 9, w: 9, c: 13, k: 7, stride: 2, numeric: true },
  { n: 3, h: 5, w: 5, c: 4, k: 7, stride: 2 },
  { n: 1, h: 5, w: 1, c: 8, k: 3, stride: 2 },
  { n: 3, h: 8, w: 10, c: 12, k: 3, stride: 2, padding: 0, numeric: true },
  { n: 1, h: 6, w: 6, c: 5, k: 3, stride: 1, padding: 4 },
  { n: 3, h: 7, w: 7, c: 8, k: 5, stride: 2, padding: 0 },
  { n: 8, h: 16, w: 16, c: 32, k: 3, stride: 1 },
  { n: 4, h: 16, w: 16, c: 24, k: 7, stride: 2 },
];

for (const cs of cases) {
  const { n, h, w, c, k, stride, padding = (k - 1) / 2 } = cs;
  test(`depthwise ${k}x${k} stride ${stride} padding ${padding} on [${n}, ${h}, ${w}, ${c}]: forward, dx and dw match float64`, () => check(cs));
}

// The tiles and workgroups chosen for GPUs run through other code paths (several channel groups
// per workgroup, more partial sums): check them here too.
test('depthwise with the GPU tuning matches float64', async () => {
  const saved = structuredClone(rt.tuning);
  Object.assign(rt.tuning.depthwise, tuningFor('gpu').depthwise);
  Object.assign(rt.tuning.weightGradSplit, tuningFor('gpu').weightGradSplit);
  try {
    const gpuCases: Case[] = [{ n: 3, h: 9, w: 7, c: 40, k: 5, stride: 2 }, { n: 2, h: 6, w: 5, c: 13, k: 3, stride: 1 }];
    for (const cs of gpuCases) await check(cs);
  } finally {
    Object.assign(rt.tuning.depthwise, saved.depthwise);
    Object.assign(rt.tuning.weightGradSplit, saved.weightGradSplit);
  }
});

test('depthwise shape errors name the op and the shapes', () => {
  const x = Tensor.zeros([1, 5, 5, 3]);
  assert.throws(() => depthwiseConv2d(x, Tensor.zeros([3, 3, 4]), { stride: 1, padding: 1 }), /depthwiseConv2d: weight \[3, 3, 4\] must be \[K, K, 3\] for input \[1, 5, 5, 3\]/);
  assert.throws(() => depthwiseConv2d(x, Tensor.zeros([7, 7, 3]), { stride: 2, padding: 0 }), /depthwiseConv2d: a 7x7 window with padding 0 does not fit input \[1, 5, 5, 3\]/);
});

test.run();
