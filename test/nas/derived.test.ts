// Derived models: random architectures drawn from both spaces (random architecture parameters,
// derived as the search derives them) build, run forward and backward, and every parameter
// gets a finite, non-zero gradient; the parameter count matches the counting formulas.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { crossEntropy } from '../../engine/ops/loss.js';
import { Random } from '../../engine/random.js';
import { Tensor, tidy } from '../../engine/tensor.js';
import { mapArchParams } from '../../nas/arch_params.js';
import { archShapeOf, summarizeArch } from '../../nas/arch_summary.js';
import { loadConfig } from '../../nas/config.js';
import { deriveArch } from '../../nas/derive.js';
import { derivedFor } from '../../nas/derived.js';
import { formatArch } from '../../nas/net_config.js';
import { buildSpace } from '../../nas/space.js';
import { engine } from '../helpers.js';
import { FULL_CFG, MBV2_CFG, QUICK_CFG, RES_CFG } from './paths.js';

const rt = await engine();
rt.poison = false;
const rng = new Random(11);

const cases: Array<[string, string, string[], number]> = [
  ['quick Fashion-MNIST space', QUICK_CFG, [], 4],
  ['full Fashion-MNIST space', FULL_CFG, [], 4],
  // The original spaces at a small input, so that a CPU adapter runs them in seconds.
  ['original MobileNetV2-based space', MBV2_CFG, ['data.input_size=[3,32,32]', 'search_params.net_scale.fm_sizes=[16,8,4,4,4,2,2,2,2,2,2,1,1,1,1,1,1]', 'train_params.num_classes=10'], 2],
  ['original ResNet-based space', RES_CFG, ['data.input_size=[3,32,32]', 'search_params.net_scale.fm_sizes=[16,8,8,8,4,4,4,2,2,2,2,2,2,2,1,1,1,1,1,1,1]', 'train_params.num_classes=10'], 2],
];

for (const [name, file, sets, count] of cases) {
  test(`${count} random architectures of the ${name} train: every parameter gets a gradient`, async () => {
    const cfg = loadConfig([file], sets);
    const space = buildSpace(cfg);
    const shape = archShapeOf(cfg, cfg.train_params.num_classes);
    for (let k = 0; k < count; k++) {
      const params = mapArchParams(space, (_k, _i, n) => Float64Array.from({ length: n }, () => rng.normal()));
      const { net } = deriveArch(space, params);
      const model = derivedFor(net, cfg, rng);
      const counted = summarizeArch(net, cfg).params;
      const held = model.parameters().reduce((a, p) => a + p.size, 0);
      // RES_Net's fixed 32-wide stem is outside the counting formulas' entries (spec 5.5).
      if (net.netType === 'mbv2') assert.is(held, counted, `${formatArch(net)}: parameters`);
      const n = 3, s = shape.inputSize;
      const x = Tensor.randn([n, s, s, shape.inChannels], rng), y = [0, 1, 2];
      const loss = tidy(() => { const l = crossEntropy(model.forward(x), y); l.backward(); return l; });
      assert.ok(Number.isFinite(await loss.item()), 'finite loss');
      for (const [pname, p] of model.namedParameters()) {
        assert.ok(p.grad, `${formatArch(net)}: ${pname} has no gradient`);
        const g = await p.grad!.toArray();
        assert.ok(g.every(Number.isFinite), `${pname}: non-finite gradient`);
        assert.ok(g.some((v) => v !== 0), `${pname}: gradient is all zeros`);
      }
      loss.dispose(); x.dispose(); model.dispose();
    }
  });
}

test.run();
