// densenas bench <command>: benchmarks that print a table and can write JSON (bench/).
import type { Argv } from 'yargs';
import * as data from './bench/data.js';
import * as kernels from './bench/kernels.js';
import * as search from './bench/search.js';

export const command = 'bench <command>';
export const describe = 'benchmarks: a table, or one JSON object with --json; --out FILE keeps the report';
export const builder = (y: Argv) => y.command(kernels).command(search).command(data).demandCommand(1, 'name a benchmark');
export function handler(): void {}
