// The benchmarks as a user runs them: `bench kernels` writes the five workloads with their
// figures, and `bench search` builds and trains both search spaces' supernets for a step.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from '../cli.js';
import { config } from '../nas/paths.js';

const dir = tempDir('bench');
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('bench kernels --json writes W1-W5 with their timings, GFLOP/s and ratios to the peers', async () => {
  const out = join(dir, 'kernels.json');
  const r = await runCli(['bench', 'kernels', '--runs', '1', '--warmup', '0', '--out', out]);
  assert.is(r.code, 0, r.stderr);
  const report = JSON.parse(readFileSync(out, 'utf8'));
  assert.is(report.benchmark, 'kernels');
  assert.match(report.adapter.description, /\w/);
  const byId = Object.fromEntries(report.results.map((x: any) => [x.id, x]));
  for (const id of ['W1_gemm', 'W2_pointwise_fwd', 'W3_depthwise_3x3_fwd', 'W3_depthwise_7x7_fwd', 'W4_mbconv_fwd_bwd', 'W5_sgd_step']) {
    assert.ok(byId[id]?.median > 0 && byId[id].wall > 0, `${id} timed`);
  }
  assert.ok(byId.W5_sgd_step.peak_mib > 0, 'W5 peak memory');
  // GFLOP/s follows from the workload's size and the time: 2 M N K / t
  assert.ok(Math.abs(byId.W1_gemm.gflops - (2 * 1024 ** 3) / (byId.W1_gemm.median * 1e6)) < 1e-6 * byId.W1_gemm.gflops);
  assert.ok(Math.abs(byId.W5_sgd_step.vs_torch - byId.W5_sgd_step.torch_ms / byId.W5_sgd_step.median) < 1e-9);
  assert.match(r.stdout, /W5 net SGD step/);
});

for (const name of ['fmnist_search_quick.yaml', 'fmnist_search_resnet.yaml']) {
  test(`bench search runs the ${name} supernet's weight, arch and validation steps`, async () => {
    const out = join(dir, `${name}.json`);
    const r = await runCli(['bench', 'search', '--config', config(name), '--steps', '1', '--warmup', '0', '--out', out]);
    assert.is(r.code, 0, r.stderr);
    const rows = JSON.parse(readFileSync(out, 'utf8')).results;
    assert.equal(rows.map((x: any) => x.step), name.includes('quick') ? ['weight', 'arch', 'valid', 'retrain'] : ['weight', 'arch', 'valid']);
    for (const row of rows) assert.ok(row['images/s'] > 0 && row['peak MiB'] > 0 && row.dispatches > 0, JSON.stringify(row));
    // validation runs all six MBConvs of every mixed op, a weight step one (ResNet rows hold one or two ops)
    if (name.includes('quick')) assert.ok(rows[2]['peak MiB'] > rows[0]['peak MiB'] && rows[2].dispatches > rows[0].dispatches, JSON.stringify(rows));
  });
}

test.run();
