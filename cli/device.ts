// densenas device: the adapter Dawn picks (or the one --adapter names), with its limits and
// features; --all lists every adapter Dawn finds.
import type { Argv } from 'yargs';
import { Device, listAdapters } from '../engine/device.js';
import { jsonOption } from './options.js';

export const command = 'device';
export const describe = 'show the WebGPU adapter, its limits and features (--all: every adapter Dawn finds)';
export const builder = (y: Argv) => y
  .option('all', { type: 'boolean', default: false, describe: 'list every adapter Dawn finds (names for --adapter)' })
  .option('json', jsonOption);

export async function handler(argv: { all: boolean; json: boolean }): Promise<void> {
  if (argv.all) {
    const adapters = await listAdapters();
    if (argv.json) console.log(JSON.stringify({ adapters }));
    else for (const a of adapters) console.log(`${a.backend}: ${a.name}`);
    return;
  }
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
      console.log(`features ${out.features.join(', ') || 'none'}`);
    }
  } finally {
    dev.destroy();
  }
}
