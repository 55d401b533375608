// densenas device: what adapter Dawn found, with its limits and features.
import type { Argv } from 'yargs';
import { Device } from '../engine/device.js';

export const command = 'device';
export const describe = 'show the WebGPU adapter, its limits and features';
export const builder = (y: Argv) => y.option('json', { type: 'boolean', default: false, describe: 'print one JSON object' });
export async function handler(argv: { json: boolean }): Promise<void> {
  const dev = await Device.create();
  try {
    const limits: Record<string, number> = {};
    for (const k of ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup'] as const) limits[k] = dev.limits[k];
    const out = { ...dev.info, timestamps: dev.hasTimestamps, limits, features: [...dev.features].sort() };
    if (argv.json) console.log(JSON.stringify(out));
    else {
      console.log(`${dev.info.description} (${dev.info.kind})`);
      console.log(`vendor ${dev.info.vendor}, architecture ${dev.info.architecture}, timestamps ${dev.hasTimestamps ? 'yes' : 'no'}`);
      for (const [k, v] of Object.entries(limits)) console.log(`${k} ${v}`);
    }
  } finally {
    dev.destroy();
  }
}
