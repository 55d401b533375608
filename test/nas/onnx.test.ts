// ONNX export: onnxruntime (an independent implementation of every op) runs the exported graph
// on real Fashion-MNIST test images, fed NCHW, to the engine's folded-model logits (NHWC) within
// 1e-4, for MBConv (mbv2) and BasicBlock/Skip (res) architectures with non-trivial batch norms;
// the metadata carries the class names and the preprocessing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { assignTensors, type HostTensor } from '../../engine/checkpoint.js';
import { Random } from '../../engine/random.js';
import { noGrad, Tensor } from '../../engine/tensor.js';
import { defaultConfig } from '../../nas/config.js';
import { FASHION_MNIST_CLASSES, readFashionMnist } from '../../nas/data/fashion_mnist.js';
import { derivedBn, derivedFor } from '../../nas/derived.js';
import { FoldedNet, foldState, FOLDED_FORMAT, type FoldedMeta } from '../../nas/export.js';
import { parseNetConfigJson } from '../../nas/net_config.js';
import { writeOnnx } from '../../nas/onnx.js';
import { tempDir } from '../cli.js';
import { assertClose, engine } from '../helpers.js';

const dir = tempDir('onnx');
test.after(() => rmSync(dir, { recursive: true, force: true }));

const MBV2 = { net_type: 'mbv2', net_config: [[[8, 8], 'mbconv_k3_t1', [], 0, 1], [[8, 16], 'mbconv_k5_t6', ['mbconv_k3_t3', 'mbconv_k7_t6'], 2, 2], [[16, 24], 'mbconv_k3_t3', [], 0, 2], [[24, 40], 'conv1_1']] };
const RES = { net_type: 'res', net_config: [[[32, 32], 'basic_block', ['basic_block'], 1, 1], [[32, 48], 'basic_block', ['skip_connect'], 1, 2], [[48, 64], 'skip_connect', [], 0, 1]] };
const MEAN = 0.286, STD = 0.353;

/** A folded model of `netJson` with random weights and batch-norm statistics, for 28x28 grey inputs. */
async function foldedModel(netJson: object, stemStride: 1 | 2, seed: number): Promise<{ folded: FoldedNet; meta: FoldedMeta }> {
  await engine();
  const rng = new Random(seed);
  const cfg = defaultConfig();
  cfg.data.input_size = [1, 28, 28];
  cfg.train_params.num_classes = 10;
  cfg.search_params.net_scale.stem_stride = stemStride;
  const net = parseNetConfigJson(JSON.stringify(netJson));
  const model = derivedFor(net, cfg, rng);
  const state: Record<string, HostTensor> = {};
  for (const [k, t] of Object.entries(model.stateDict())) {
    const leaf = k.slice(k.lastIndexOf('.') + 1), data = await t.toArray();
    const draw = { running_mean: () => 0.3 * rng.normal(), running_var: () => 0.3 + rng.uniform() }[leaf];
    if (draw && /running_/.test(leaf)) for (let i = 0; i < data.length; i++) data[i] = draw();
    if (leaf === 'bias' && !k.includes('classifier')) for (let i = 0; i < data.length; i++) data[i] = 0.2 * rng.normal();
    state[k] = { shape: [...t.shape], data };
  }
  const folded = new FoldedNet(net, { inChannels: 1, classes: 10, stemStride });
  assignTensors('folded', foldState(folded, state, derivedBn(net, cfg.optim.bn_eps, cfg.optim.bn_momentum).eps), folded.stateDict(), true);
  model.dispose();
  const meta: FoldedMeta = { format: FOLDED_FORMAT, folded: true, net_type: net.netType, input_shape: [1, 28, 28], classes: 10, mean: [MEAN], std: [STD], stem_stride: stemStride, table_classes: 100 };
  return { folded, meta };
}

/** `n` real test images from index `from`, normalised, as NHWC (= NCHW for one channel) floats. */
function testImages(from: number, n: number): Float32Array {
  const fm = readFashionMnist('t10k');
  const px = fm.rows * fm.cols;
  return Float32Array.from(fm.images.subarray(from * px, (from + n) * px), (v) => (v / 255 - MEAN) / STD);
}

async function matchesEngine(netJson: object, stemStride: 1 | 2, what: string) {
  const { folded, meta } = await foldedModel(netJson, stemStride, 7);
  const file = join(dir, `${what}.onnx`);
  const info = await writeOnnx(file, folded, meta, { class_names: JSON.stringify(FASHION_MNIST_CLASSES) });
  const n = 5, x = testImages(100, n);
  const ref = await noGrad(() => folded.forward(Tensor.fromArray(x, [n, 28, 28, 1]))).toArray();
  const session = await ort.InferenceSession.create(file);
  assert.equal(session.inputNames, ['input']);
  assert.equal(session.outputNames, ['logits']);
  // For one channel NHWC and NCHW hold the same numbers; the shape says which the graph reads.
  const out = await session.run({ input: new ort.Tensor('float32', x, [n, 1, 28, 28]) });
  const got = out.logits.data as Float32Array;
  assert.equal(out.logits.dims, [n, 10]);
  const scale = Math.max(...ref.map(Math.abs));
  assert.ok(scale > 0.1, `${what}: logits of a useful size (${scale})`);
  assertClose(got, ref, `${what}: onnxruntime vs engine logits`, 0, 1e-4);
  assert.equal(JSON.parse(info.metadata.class_names), FASHION_MNIST_CLASSES);
  assert.is(info.metadata.input_layout, 'NCHW');
  await session.release();
  folded.dispose();
}

test('onnxruntime runs the exported MBConv network to the engine logits on Fashion-MNIST images', () => matchesEngine(MBV2, 2, 'mbv2'));
test('onnxruntime runs the exported BasicBlock/Skip network to the engine logits on Fashion-MNIST images', () => matchesEngine(RES, 1, 'res'));

test('an RGB model takes NCHW input: onnxruntime and the engine agree on the same 3-channel images', async () => {
  await engine();
  const rng = new Random(11);
  const cfg = defaultConfig();
  cfg.data.input_size = [3, 13, 13];
  cfg.train_params.num_classes = 6;
  cfg.search_params.net_scale.stem_stride = 1;
  const net = parseNetConfigJson(JSON.stringify(MBV2));
  const model = derivedFor(net, cfg, rng);
  const state: Record<string, HostTensor> = {};
  for (const [k, t] of Object.entries(model.stateDict())) state[k] = { shape: [...t.shape], data: await t.toArray() };
  const folded = new FoldedNet(net, { inChannels: 3, classes: 6, stemStride: 1 });
  assignTensors('folded', foldState(folded, state, derivedBn(net, cfg.optim.bn_eps, cfg.optim.bn_momentum).eps), folded.stateDict(), true);
  const meta: FoldedMeta = { format: FOLDED_FORMAT, folded: true, net_type: 'mbv2', input_shape: [3, 13, 13], classes: 6, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], stem_stride: 1, table_classes: 100 };
  const file = join(dir, 'rgb.onnx');
  await writeOnnx(file, folded, meta);
  const n = 2, hw = 13 * 13, nhwc = new Float32Array(n * hw * 3);
  for (let i = 0; i < nhwc.length; i++) nhwc[i] = rng.normal();
  const nchw = new Float32Array(nhwc.length);
  for (let b = 0; b < n; b++) for (let c = 0; c < 3; c++) for (let p = 0; p < hw; p++) nchw[(b * 3 + c) * hw + p] = nhwc[(b * hw + p) * 3 + c];
  const ref = await noGrad(() => folded.forward(Tensor.fromArray(nhwc, [n, 13, 13, 3]))).toArray();
  const session = await ort.InferenceSession.create(file);
  const got = (await session.run({ input: new ort.Tensor('float32', nchw, [n, 3, 13, 13]) })).logits.data as Float32Array;
  assertClose(got, ref, 'rgb: onnxruntime vs engine logits', 0, 1e-4);
  await session.release();
  model.dispose(); folded.dispose();
});

test.run();
