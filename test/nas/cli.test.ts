// The three commands as documented in the README, on both original configs and the original
// tables, through the built program with --json.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNetConfig, formatArch } from '../../nas/net_config.js';
import { MBV2_CFG, QUICK_CFG, RES_CFG, ROOT, config, haveLatencyTables, latencyTable } from './paths.js';

function densenas(...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'dist/cli/densenas.js'), ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr, json: () => JSON.parse(r.stdout) };
}

test('space --json: counts of spec 11 for both configs', () => {
  const m = densenas('space', '--config', MBV2_CFG, '--json').json();
  assert.equal([m.counts.headEdges, m.counts.betaScalars, m.counts.stackLayers, m.counts.archScalars], [51, 54, 39, 633]);
  assert.equal(m.nodes[3].predecessors.map((e: { from: number }) => e.from), [2, 1]);
  const r = densenas('space', '--config', RES_CFG, '--json').json();
  assert.equal([r.counts.headEdges, r.counts.betaScalars, r.counts.stackLayers, r.counts.archScalars], [84, 87, 113, 397]);
});

test('arch --json: DenseNAS-C counts (spec 13)', () => {
  const a = densenas('arch', '--net-config', config('densenas_c.net_config'), '--json').json();
  assert.equal([a.params, a.madds, a.totalLayers], [6134144, 360808256, 20]);
});

test('bad input exits non-zero with the key in the message', () => {
  const r = densenas('space', '--config', MBV2_CFG, '--set', 'search_params.softmax_temp=0');
  assert.is(r.code, 1);
  assert.match(r.err, 'key search_params.softmax_temp: expected a number > 0, got 0');
  const c = densenas('cost', '--config', MBV2_CFG);
  assert.is(c.code, 1);
  assert.match(c.err, 'give exactly one of --uniform or --params FILE');
});

if (haveLatencyTables()) {
  test('arch with the original mbv2 table: 17.98 ms along DenseNAS-C', () => {
    const a = densenas('arch', '--net-config', config('densenas_c.net_config'), '--config', MBV2_CFG,
      '--table', latencyTable('lat_list_densenas_mbv2_xp32'), '--classes', '100', '--json').json();
    assert.is(+a.cost.toFixed(2), 17.98);
    assert.is(a.mismatches.length, 3);
  });

  test('cost --uniform: mbv2 latency about 32 ms, resnet FLOPs about 3290 M (spec 3.5)', () => {
    const m = densenas('cost', '--config', MBV2_CFG, '--table', latencyTable('lat_list_densenas_mbv2_xp32'), '--uniform', '--json').json();
    assert.ok(m.cost > 31 && m.cost < 33.5, String(m.cost));
    assert.ok(Math.abs(m.loss - 0.15 * Math.log(m.cost) / Math.log(15)) < 1e-12);
    const r = densenas('cost', '--config', RES_CFG, '--uniform', '--json').json();
    assert.ok(Math.abs(r.cost - 3290) < 10, String(r.cost));
    const t = densenas('cost', '--config', RES_CFG, '--table', latencyTable('lat_list_resv2_32_reg10'), '--uniform', '--json').json();
    assert.equal(t.mismatches, []);
  });
}

test('sample --json: distinct architectures in the band, written for retrain; bad counts refused', () => {
  const out = mkdtempSync(join(tmpdir(), 'densenas-sample-'));
  const args = ['sample', '--config', QUICK_CFG, '--set', 'optim.sub_obj.type=flops', '--target', '1.2', '--target-form', 'two_sided', '--seed', '3'];
  const r = densenas(...args, '--count', '5', '--out', out, '--json').json();
  assert.is(r.archs.length, 5);
  assert.is(new Set(r.archs.map((a: { arch: string }) => a.arch)).size, 5);
  for (const a of r.archs) {
    assert.ok(a.table_cost >= 1.2 * 0.95 && a.table_cost <= 1.2 * 1.05, `${a.table_cost} M multiply-adds`);
    assert.is(formatArch(readNetConfig(join(out, `arch-${a.index}`, 'net_config'))), a.arch);
    assert.is(JSON.parse(readFileSync(join(out, `arch-${a.index}`, 'net_config.json'), 'utf8')).arch, a.arch);
  }
  const bad = densenas(...args, '--count', '0', '--out', out);
  assert.is(bad.code, 1);
  assert.match(bad.err, '--count must be a positive integer');
});

test.run();
