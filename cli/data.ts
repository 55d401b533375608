// densenas data <command>: import, split, pack and read image data (nas/data/).
import type { Argv } from 'yargs';
import * as fashionMnist from './data/fashion_mnist.js';
import * as pack from './data/pack.js';
import * as read from './data/read.js';
import * as split from './data/split.js';

export const command = 'data <command>';
export const describe = 'image data: import Fashion-MNIST, split lists, pack LMDB, read batches';
export const builder = (y: Argv) => y.command(fashionMnist).command(split).command(pack).command(read).demandCommand(1, 'name a data command');
export function handler(): void {}
