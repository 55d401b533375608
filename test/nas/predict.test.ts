// densenas predict on real Fashion-MNIST PNG files: its probabilities are the softmax of the
// exported model's logits on the same images as the validation loader prepares them from the
// LMDB (an independent path: raw records, not decoded files), and its names are the classes'.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Random } from '../../engine/random.js';
import { noGrad, Tensor } from '../../engine/tensor.js';
import { defaultConfig } from '../../nas/config.js';
import { openDataset } from '../../nas/data/dataset.js';
import { evalConfig } from '../../nas/data/augment.js';
import { FASHION_MNIST_CLASSES } from '../../nas/data/fashion_mnist.js';
import { Loader } from '../../nas/data/loader.js';
import { derivedBn, derivedFor } from '../../nas/derived.js';
import { exportFolded, loadFolded } from '../../nas/export.js';
import { parseNetConfigJson } from '../../nas/net_config.js';
import { runCli, tempDir } from '../cli.js';
import { assertClose, engine } from '../helpers.js';

const dir = tempDir('predict');
test.after(() => rmSync(dir, { recursive: true, force: true }));

const NET = { net_type: 'mbv2', net_config: [[[8, 8], 'mbconv_k3_t1', [], 0, 1], [[8, 16], 'mbconv_k5_t3', [], 0, 2], [[16, 24], 'conv1_1']] };

test('predict gives the softmax of the model on the images as validation prepares them, with class names', async () => {
  await engine();
  const png = join(dir, 'png'), lmdb = join(dir, 'lmdb'), model = join(dir, 'model');
  for (const [out, format] of [[png, 'folder'], [lmdb, 'lmdb']]) {
    const r = await runCli(['data', 'fashion-mnist', '--out', out, '--format', format, '--limit', '6']);
    assert.is(r.code, 0, r.stderr);
  }
  // An exported model of random weights at 20x20, with Fashion-MNIST's class folders recorded.
  const cfg = defaultConfig();
  cfg.data.input_size = [1, 20, 20];
  cfg.data.mean = [0.286]; cfg.data.std = [0.353];
  cfg.train_params.num_classes = 10;
  cfg.search_params.net_scale.stem_stride = 1;
  const net = parseNetConfigJson(JSON.stringify(NET));
  const derived = derivedFor(net, cfg, new Random(5)).eval();
  (await exportFolded(derived, cfg, derivedBn(net, cfg.optim.bn_eps, cfg.optim.bn_momentum).eps, model)).dispose();
  const metaFile = join(model, 'net_config.json');
  const ds = openDataset(join(lmdb, 'test'));
  writeFileSync(metaFile, JSON.stringify({ ...JSON.parse(readFileSync(metaFile, 'utf8')), class_names: ds.classes }));

  // The same six test images: PNG files for predict, LMDB records (keyed class/file, in key order) for the reference.
  const keys = readdirSync(join(png, 'test'), { recursive: true }).map(String).filter((f) => f.endsWith('.png')).sort();
  assert.equal(keys, ds.entries.map((e) => e.key));
  const files = keys.map((f) => join(png, 'test', f));
  assert.is(files.length, 6);
  const r = await runCli(['predict', '--model', model, '--top', '10', '--json', ...files]);
  assert.is(r.code, 0, r.stderr);
  const got = JSON.parse(r.stdout).predictions as Array<{ image: string; top: Array<{ label: number; name: string; probability: number }> }>;

  const loader = new Loader(ds, { batchSize: 6, augment: evalConfig(20, 1, { mean: [0.286], std: [0.353] }), seed: 0, shuffle: false });
  const { value: b } = await loader.epoch(0).next();
  const { model: folded } = loadFolded(model);
  const logits = await noGrad(() => folded.forward(Tensor.fromArray(b!.x, [6, 20, 20, 1]))).toArray();
  ds.close();
  for (let i = 0; i < 6; i++) {
    const row = Array.from(logits.subarray(i * 10, (i + 1) * 10)), max = Math.max(...row);
    const e = row.map((v) => Math.exp(v - max)), s = e.reduce((a, x) => a + x, 0);
    const byLabel = new Array(10).fill(0);
    for (const t of got[i].top) {
      byLabel[t.label] = t.probability;
      assert.is(t.name, FASHION_MNIST_CLASSES[t.label]);
    }
    assertClose(byLabel, e.map((x) => x / s), `${got[i].image} probabilities`, 1e-4, 1e-6);
    const p = got[i].top.map((t) => t.probability);
    assert.equal(p, [...p].sort((x, y) => y - x), 'most probable first');
  }
});

test('predict names an image it cannot decode', async () => {
  const bad = join(dir, 'bad.png');
  writeFileSync(bad, 'not an image');
  const r = await runCli(['predict', '--model', join(dir, 'model'), bad]);
  assert.is(r.code, 1);
  assert.ok(r.stderr.includes(`${bad}: cannot decode image`), r.stderr);
});

test.run();
