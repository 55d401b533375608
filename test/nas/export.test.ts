// Export with batch norm folded: FoldedNet on folded weights gives the unfolded eval-mode logits
// (random weights and BN statistics) for MBConv, fused MBConv and BasicBlock/Skip architectures; end to end, an
// exported run validates to the same accuracy, and the README's program runs it through the
// package's own name.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assignTensors, type HostTensor } from '../../engine/checkpoint.js';
import { Random } from '../../engine/random.js';
import { noGrad, Tensor } from '../../engine/tensor.js';
import { defaultConfig } from '../../nas/config.js';
import { derivedBn, derivedFor } from '../../nas/derived.js';
import { FoldedNet, foldState, loadFolded } from '../../nas/export.js';
import { parseNetConfigJson } from '../../nas/net_config.js';
import { runCli, tempDir } from '../cli.js';
import { assertClose, engine } from '../helpers.js';
import { config, ROOT } from './paths.js';

const dir = tempDir('export');
test.after(() => rmSync(dir, { recursive: true, force: true }));

const MBV2 = { net_type: 'mbv2', net_config: [[[8, 8], 'mbconv_k3_t1', [], 0, 1], [[8, 16], 'mbconv_k5_t6', ['mbconv_k3_t3', 'mbconv_k7_t6'], 2, 2], [[16, 24], 'mbconv_k3_t3', [], 0, 1], [[24, 40], 'conv1_1']] };
const RES = { net_type: 'res', net_config: [[[32, 32], 'basic_block', ['basic_block'], 1, 1], [[32, 48], 'basic_block', [], 0, 2], [[48, 64], 'skip_connect', [], 0, 1]] };

// The fused MBConv (not in the original), downsampling at the head and with a residual in the stack.
const FUSED = { net_type: 'mbv2', net_config: [[[8, 8], 'mbconv_k3_t1', [], 0, 1], [[8, 16], 'fused_mbconv_k3_t4', ['fused_mbconv_k5_t3'], 1, 2],
  [[16, 24], 'fused_mbconv_k3_t3', [], 0, 1], [[24, 40], 'conv1_1']] };

async function foldedMatches(netJson: object, what: string) {
  await engine();
  const rng = new Random(3);
  const cfg = defaultConfig();
  cfg.data.input_size = [1, 12, 12];
  cfg.train_params.num_classes = 10;
  cfg.search_params.net_scale.stem_stride = 1;
  const net = parseNetConfigJson(JSON.stringify(netJson));
  const model = derivedFor(net, cfg, rng);
  // Non-trivial batch norms: random scale, shift and running statistics.
  const state: Record<string, HostTensor> = {};
  const bns = new Set(Object.keys(model.stateDict()).filter((k) => k.endsWith('.running_mean')).map((k) => k.slice(0, -'.running_mean'.length)));
  for (const [k, t] of Object.entries(model.stateDict())) {
    const base = k.slice(0, k.lastIndexOf('.')), leaf = k.slice(k.lastIndexOf('.') + 1);
    const data = await t.toArray();
    if (bns.has(base)) {
      const draw = { weight: () => 0.5 + rng.uniform(), bias: () => 0.3 * rng.normal(), running_mean: () => 0.3 * rng.normal(), running_var: () => 0.3 + rng.uniform() }[leaf]!;
      for (let i = 0; i < data.length; i++) data[i] = draw();
      t.write(data);
    }
    state[k] = { shape: [...t.shape], data };
  }
  model.eval();
  const folded = new FoldedNet(net, { inChannels: 1, classes: 10, stemStride: 1 });
  assignTensors('folded', foldState(folded, state, derivedBn(net, cfg.optim.bn_eps, cfg.optim.bn_momentum).eps), folded.stateDict(), true);
  const x = Tensor.randn([4, 12, 12, 1], rng);
  const ref = await noGrad(() => model.forward(x)).toArray();
  const got = await noGrad(() => folded.forward(x)).toArray();
  const scale = Math.max(...ref.map(Math.abs));
  assert.ok(scale > 0.1, `${what}: logits of a useful size (${scale})`);
  assertClose(got, ref, `${what} folded logits`, 1e-4, 1e-5 * scale);
  // The fold did something: the BN-free parameters differ from the unfolded ones.
  assert.not.equal(Array.from(await folded.stateDict()['body.0.weight'].toArray()), Array.from(state['body.0.weight'].data));
}

test('folded MBConv (mbv2) logits equal the unfolded eval-mode logits', () => foldedMatches(MBV2, 'mbv2'));
test('folded BasicBlock and Skip (res) logits equal the unfolded eval-mode logits', () => foldedMatches(RES, 'res'));
test('folded fused MBConv logits equal the unfolded eval-mode logits', () => foldedMatches(FUSED, 'fused'));

test('an exported run validates to the same accuracy, and the README program runs it', async () => {
  const data = join(dir, 'fmnist'), net = join(dir, 'net.json'), run = join(dir, 'run'), out = join(dir, 'model');
  writeFileSync(net, JSON.stringify(MBV2));
  const ok = (r: { code: number | null; stderr: string }, what: string) => assert.is(r.code, 0, `${what} failed: ${r.stderr}`);
  ok(await runCli(['data', 'fashion-mnist', '--out', data, '--format', 'lmdb', '--limit', '200']), 'import');
  ok(await runCli(['retrain', '--net-config', net, '--config', config('fmnist_retrain_quick.yaml'), '--data', data, '--out', run,
    ...['data.input_size=[1,12,12]', 'data.limit=128', 'data.batch_size=32', 'train_params.epochs=1'].flatMap((s) => ['--set', s])]), 'retrain');
  const exp = await runCli(['export', '--run', run, '--out', out]);
  ok(exp, 'export');
  assert.match(exp.stdout, /max \|difference\| \d\.\d+e-\d/);
  const meta = JSON.parse(readFileSync(join(out, 'net_config.json'), 'utf8'));
  assert.equal([meta.folded, meta.input_shape, meta.classes, meta.mean, meta.std], [true, [1, 12, 12], 10, [0.286], [0.353]]);
  const v = await Promise.all([run, out].map(async (r) => JSON.parse((await runCli(['validate', '--run', r, '--data', data, '--json', '--runs', '2'])).stdout)));
  assert.is(v[1].folded, true);
  assert.is(v[1].images, 200);
  assert.is(v[1].top1, v[0].top1);
  assert.ok(Math.abs(v[1].loss - v[0].loss) < 1e-4, `loss ${v[1].loss} vs ${v[0].loss}`);

  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const m = readme.match(/<!-- example: export -->\s*```js\n([\s\S]*?)```/);
  assert.ok(m, 'README.md has a js block after <!-- example: export -->');
  const file = join(ROOT, 'dist', 'readme-export-example.mjs');   // inside the package, so its own name resolves
  writeFileSync(file, m![1]);
  try {
    const r = spawnSync(process.execPath, [file, out], { encoding: 'utf8', timeout: 120_000 });
    assert.is(r.status, 0, `example exited with ${r.status}: ${r.stderr}`);
    assert.not.match(r.stderr, /artificially reduced/, "Dawn's adapter warnings filtered");
    const printed = r.stdout.match(/logits (.*)/)![1].split(' ').map(Number);
    const { model } = loadFolded(out);
    const x = Tensor.fromArray(new Float32Array(144).fill(-0.286 / 0.353), [1, 12, 12, 1]);
    const logits = await noGrad(() => model.forward(x)).toArray();
    assertClose(printed, Array.from(logits), 'README program logits', 0, 6e-6);
  } finally {
    rmSync(file, { force: true });
  }
});

test.run();
