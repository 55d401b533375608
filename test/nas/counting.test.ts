// Counting (spec 8) against the spec's test vectors (section 13) and against a naive
// re-computation that lists every conv layer of an op.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../nas/config.js';
import { opCounts, sumCounts } from '../../nas/counting.js';
import { flopsTable, spaceOpDescs } from '../../nas/cost_table.js';
import { archOps, readNetConfig } from '../../nas/net_config.js';
import { opKey } from '../../nas/ops.js';
import { buildSpace } from '../../nas/space.js';
import { MBV2_CFG, RES_CFG, config } from './paths.js';

test('DenseNAS-C: 6,134,144 params and 360,808,256 multiply-adds at 224, 1000 classes', () => {
  const net = readNetConfig(config('densenas_c.net_config'));
  const c = sumCounts(archOps(net, { inputSize: 224, inChannels: 3, stemStride: 2, classes: 1000, batch: 1 }).map((d) => opCounts(d, true)));
  assert.equal(c, { params: 6134144, madds: 360808256 });
});

test('mbv2 FLOPs table entries of spec 13', () => {
  const sp = buildSpace(loadConfig([MBV2_CFG]));
  const t = flopsTable(sp);
  const get = (k: string) => +t.entries[k].toFixed(k.startsWith('classifier') ? 4 : 3);
  assert.is(get('stem_mbv2|cin=3|mid=16|cout=16|in=224|s=2|b=1'), 10.437);
  assert.is(get('classifier|cin=1984|cout=100|in=1|s=1|b=1'), 0.1984);
  assert.equal([384, 352, 320].map((c) => get(`conv1_1|cin=${c}|cout=1984|in=7|s=1|b=1`)), [37.331, 34.220, 31.109]);
  const ops = ['mbconv_k3_t3', 'mbconv_k3_t6', 'mbconv_k5_t3', 'mbconv_k5_t6', 'mbconv_k7_t3', 'mbconv_k7_t6'];
  assert.equal(ops.map((o) => get(`${o}|cin=16|cout=24|in=112|s=2|b=1`)), [14.601, 29.202, 17.010, 34.019, 20.622, 41.245]);
  assert.equal([...ops, 'skip_connect'].map((o) => get(`${o}|cin=24|cout=24|in=56|s=1|b=1`)), [12.870, 25.740, 16.483, 32.966, 21.902, 43.804, 0]);
  assert.is(Object.keys(t.entries).length, spaceOpDescs(sp, 1).length);
});

// Naive reference: list each conv as [k, cin, cout, groups, hOut] and each BN width.
function naive(op: string, cin: number, cout: number, h: number, s: number, affine: boolean) {
  const convs: number[][] = [], bns: number[] = [];
  const out = (hh: number, k: number, st: number) => Math.floor((hh + 2 * Math.floor(k / 2) - k) / st) + 1;
  const m = /^mbconv_k(\d)_t(\d)/.exec(op), f = /^fused_mbconv_k(\d)_t(\d)/.exec(op);
  if (f) {
    const k = +f[1], mid = cin * +f[2], ho = out(h, k, s);
    convs.push([k, cin, mid, 1, ho], [1, mid, cout, 1, ho]);
    if (affine) bns.push(mid, cout);
  } else if (m) {
    const k = +m[1], t = +m[2], mid = cin * t, ho = out(h, k, s);
    if (t > 1) { convs.push([1, cin, mid, 1, h]); if (affine) bns.push(mid); }
    convs.push([k, mid, mid, mid, ho]); if (affine) bns.push(mid);
    convs.push([1, mid, cout, 1, ho]); if (affine || t === 1) bns.push(cout);
  } else if (op === 'basic_block') {
    const ho = out(h, 3, s);
    convs.push([3, cin, cout, 1, ho], [3, cout, cout, 1, ho]);
    if (affine) bns.push(cout, cout);
    if (s !== 1 || cin !== cout) { convs.push([1, cin, cout, 1, ho]); if (affine) bns.push(cout); }
  } else if (op === 'skip_connect' && cin !== cout) {
    convs.push([1, cin, cout, 1, h]); if (affine) bns.push(cout);
  }
  let params = 0, madds = 0;
  for (const [k, ci, co, g, ho] of convs) { params += (k * k * ci * co) / g; madds += ((k * k * ci * co) / g) * ho * ho; }
  for (const c of bns) params += 2 * c;
  return { params, madds };
}

test('candidate ops match a naive layer-by-layer count on random shapes', () => {
  let seed = 7;
  const rand = (n: number) => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };
  const ops = ['mbconv_k3_t1', 'mbconv_k3_t3', 'mbconv_k5_t6', 'mbconv_k7_t3', 'fused_mbconv_k3_t4', 'fused_mbconv_k5_t3', 'basic_block', 'skip_connect'];
  for (let i = 0; i < 300; i++) {
    const op = ops[rand(ops.length)], cin = 1 + rand(200), cout = rand(2) ? cin : 1 + rand(200), h = 1 + rand(60), s = 1 + rand(2), affine = rand(2) === 1;
    const stride = op === 'skip_connect' ? 1 : s;
    assert.equal(opCounts({ op, cin, cout, in: h, stride }, affine), naive(op, cin, cout, h, stride, affine), `${op} ${cin} ${cout} ${h} ${stride} ${affine}`);
  }
});

test('fused MBConv (not in the original) in a space\'s PRIMITIVES: its FLOPs table entries, by hand', () => {
  const sp = buildSpace(loadConfig([MBV2_CFG], ['search_params.PRIMITIVES_head=[mbconv_k3_t3, fused_mbconv_k3_t4]']));
  const t = flopsTable(sp);
  // 16->24 at stride 2 from 112: 3x3 16->64 at 56^2, then 1x1 64->24
  assert.is(t.entries[opKey({ op: 'fused_mbconv_k3_t4', cin: 16, cout: 24, in: 112, stride: 2, batch: 1 })] * 1e6, (9 * 16 * 64 + 64 * 24) * 56 * 56);
  assert.is(Object.keys(t.entries).filter((k) => k.startsWith('fused_mbconv_k3_t4|')).length, spaceOpDescs(sp, 1).filter((d) => d.op === 'fused_mbconv_k3_t4').length);
  assert.ok(spaceOpDescs(sp, 1).some((d) => d.op === 'fused_mbconv_k3_t4' && d.stride === 1));
});

test('resnet space FLOPs: head basic_block and the stem', () => {
  const sp = buildSpace(loadConfig([RES_CFG]));
  const t = flopsTable(sp);
  assert.is(t.entries['stem_res|cin=3|cout=32|in=224|s=2|b=1'] * 1e6, 27 * 32 * 112 * 112);
  // 48->72 at stride 2 from 56: 9*48*72*28^2 + 9*72^2*28^2 + 48*72*28^2
  assert.is(t.entries[opKey({ op: 'basic_block', cin: 48, cout: 72, in: 56, stride: 2, batch: 1 })] * 1e6, (9 * 48 * 72 + 9 * 72 * 72 + 48 * 72) * 28 * 28);
});

test.run();
