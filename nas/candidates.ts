// Builds the engine module of a candidate op by name (spec 1.7), for the supernet and for
// derived models alike.
import { BasicBlock, MBConv, Skip, type BlockOptions } from '../engine/nn/blocks.js';
import type { Module } from '../engine/nn/module.js';
import type { Random } from '../engine/random.js';
import { parseOp } from './ops.js';

export function candidateModule(name: string, cin: number, cout: number, stride: 1 | 2, rng: Random, o: BlockOptions): Module {
  const op = parseOp(name);
  if (!op) throw new Error(`unknown candidate op '${name}'`);
  switch (op.kind) {
    case 'mbconv': return new MBConv(cin, cout, op.k, stride, op.t, rng, o);
    case 'basic_block': return new BasicBlock(cin, cout, stride, rng, o);
    case 'skip_connect': return new Skip(cin, cout, rng, o);
  }
}
