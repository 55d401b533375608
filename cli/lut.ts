// densenas lut <command>: latency lookup tables measured on this device.
import type { Argv } from 'yargs';
import * as build from './lut/build.js';
import * as check from './lut/check.js';

export const command = 'lut <command>';
export const describe = 'latency tables measured on this adapter (build, check)';
export const builder = (y: Argv) => y.command(build).command(check).demandCommand(1, 'name a lut command');
export function handler(): void {}
