// net_config in the original text format and as JSON: round trips on random architectures,
// and errors with the line and field for malformed files.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNetConfig, readNetFile, readNetRecord, writeNetConfig, writeNetConfigPair, type NetConfig } from '../../nas/net_config.js';
import { config } from './paths.js';

const dir = mkdtempSync(join(tmpdir(), 'densenas-netcfg-'));
let seed = 5;
const rnd = (n: number) => { seed = (seed * 16807) % 2147483647; return seed % n; };
const MB = ['mbconv_k3_t3', 'mbconv_k3_t6', 'mbconv_k5_t3', 'mbconv_k5_t6', 'mbconv_k7_t3', 'mbconv_k7_t6'];

function randomNet(netType: 'mbv2' | 'res'): NetConfig {
  const ops = netType === 'mbv2' ? MB : ['basic_block'];
  let c = 16 + rnd(32);
  const blocks: NetConfig['blocks'] = netType === 'mbv2' ? [{ chs: [c, c], head: 'mbconv_k3_t1', stack: [], stride: 1 }] : [];
  for (let i = 0; i < 3 + rnd(6); i++) {
    const next = c + 1 + rnd(64);
    blocks.push({ chs: [c, next], head: ops[rnd(ops.length)], stack: Array.from({ length: rnd(4) }, () => ops[rnd(ops.length)]), stride: 1 + rnd(2) });
    c = next;
  }
  return netType === 'mbv2' ? { netType, blocks, conv1_1: [c, 1000 + rnd(1000)] } : { netType, blocks };
}

test('round trips: text and JSON, mbv2 and res, random architectures', () => {
  for (let i = 0; i < 20; i++) {
    const net = randomNet(i % 2 ? 'res' : 'mbv2');
    for (const name of ['net_config', 'net_config.json']) {
      const p = join(dir, name);
      writeNetConfig(p, net);
      assert.equal(readNetConfig(p), net);
    }
  }
});

test('the DenseNAS-C file of spec 5.4 parses', () => {
  const net = readNetConfig(config('densenas_c.net_config'));
  assert.is(net.netType, 'mbv2');
  assert.equal(net.blocks.map((b) => b.chs[1]), [16, 24, 48, 72, 128, 160, 176, 384]);
  assert.equal(net.blocks[5].stack, ['mbconv_k7_t3', 'mbconv_k5_t6', 'mbconv_k7_t3']);
  assert.equal(net.conv1_1, [384, 1984]);
});

const GOOD = ["[[16, 16], 'mbconv_k3_t1', [], 0, 1]|", "[[16, 24], 'mbconv_k3_t6', ['mbconv_k3_t3'], 1, 2]|", "[[24, 1984], 'conv1_1']", 'net_type: mbv2'];
const bad: [string, string[] | string, string][] = [
  ['unknown op', [GOOD[0], "[[16, 24], 'mbconv_k9_t6', [], 0, 2]|", GOOD[2], GOOD[3]], "line 2: entry 1, field 1 (head op): unknown op 'mbconv_k9_t6'"],
  ['count differs from the stack list', [GOOD[0], "[[16, 24], 'mbconv_k3_t6', ['mbconv_k3_t3'], 2, 2]|", GOOD[2], GOOD[3]], 'line 2: entry 1, field 3 (number of stack ops): is 2 but the stack list has 1 ops'],
  ['stride', [GOOD[0], "[[16, 24], 'mbconv_k3_t6', [], 0, 3]|", GOOD[2], GOOD[3]], 'line 2: entry 1, field 4 (stride): stride must be 1 or 2, got 3'],
  ['channels chain', [GOOD[0], GOOD[1], "[[32, 1984], 'conv1_1']", GOOD[3]], 'line 3: entry 2, field 0 (channels [C_in, C_out]): C_in is 32 but the previous entry ends with 24 channels'],
  ['negative width', [GOOD[0], "[[16, -24], 'mbconv_k3_t6', [], 0, 2]|", GOOD[2], GOOD[3]], 'line 2: entry 1, field 0 (channels [C_in, C_out]): expected a positive integer, got -24'],
  ['no net_type line', GOOD.slice(0, 3), "no 'net_type: mbv2' (or res) line after the architecture"],
  ['bad net_type', [...GOOD.slice(0, 3), 'net_type: vgg'], "line 4: net_type must be mbv2 or res, got 'vgg'"],
  ['missing separator', [GOOD[0], "[[16, 24], 'mbconv_k3_t6', [], 0, 2]", GOOD[2], GOOD[3]], "line 3: expected '|' between entries, found '['"],
  ['unterminated string', [GOOD[0], "[[16, 24], 'mbconv_k3_t6, [], 0, 2]|", GOOD[3]], 'line 2: unterminated string'],
  ['mbv2 without conv1_1', [GOOD[0], GOOD[1].slice(0, -1), GOOD[3]], "an mbv2 net_config must end with a [[C, last_dim], 'conv1_1'] entry"],
  ['JSON: field missing', '{"net_config": []}', 'line 1: field net_type must be "mbv2" or "res"'],
  ['JSON: entry error', '{"net_type": "res",\n "net_config": [\n  [[32, 48], "basic_block", [], 0, 2],\n  [[48, 64], "basic_block", ["bottle"], 1, 1]\n ]\n}', "line 4: entry 1, field 2 (stack ops): unknown op 'bottle'"],
];
for (const [name, lines, msg] of bad) {
  test(`malformed: ${name}`, () => {
    const p = join(dir, typeof lines === 'string' ? 'bad.json' : 'bad_net_config');
    writeFileSync(p, typeof lines === 'string' ? lines : lines.join('\n') + '\n');
    assert.throws(() => readNetConfig(p), (e: Error) => e.message.startsWith(`net_config ${p}${msg.startsWith('line') ? ' ' : ': '}${msg}`) || (console.log(e.message), false));
  });
}

test('readNetRecord: the fields beside the entries of the JSON form, none in the text form, errors name the file', () => {
  const net = randomNet('mbv2'), d = mkdtempSync(join(dir, 'pair-'));
  const record = { arch: 'a', table_cost: 12.5, ops: { head: [[1, 2]], stack: [] }, origin: { file: 'x' } };
  writeNetConfigPair(d, net, record);
  assert.equal(readNetRecord(join(d, 'net_config.json')), record);
  assert.is(readNetRecord(join(d, 'net_config')), undefined);
  assert.equal(readNetConfig(join(d, 'net_config.json')), net);
  assert.equal(readNetFile(join(d, 'net_config.json')), { net, record });
  assert.equal(readNetFile(join(d, 'net_config')), { net });
  const bad = join(d, 'broken.json');
  writeFileSync(bad, '{"net_type": "mbv2", "net_config": [');
  assert.throws(() => readNetRecord(bad), (e: Error) => e.message.startsWith(`net_config ${bad}: not JSON`));
});

test('missing file', () => {
  assert.throws(() => readNetConfig(join(dir, 'none')), (e: Error) => e.message === `net_config ${join(dir, 'none')}: no such file`);
});

test.run();
