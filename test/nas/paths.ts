// Paths for the NAS tests, independent of the working directory: the project root (tests run
// from dist/test/nas) and the original latency tables shipped in configs/latency_list.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(fileURLToPath(import.meta.url), '../../../..');
export const config = (name: string) => join(ROOT, 'configs', name);
export const MBV2_CFG = config('imagenet_search_cfg_mbv2.yaml');
export const RES_CFG = config('imagenet_search_cfg_resnet.yaml');
export const QUICK_CFG = config('fmnist_search_quick.yaml');
export const FULL_CFG = config('fmnist_search_mbv2.yaml');
export const LATENCY_DIR = join(ROOT, 'configs/latency_list');
export const latencyTable = (name: string) => join(LATENCY_DIR, name);

/** True when the original tables are present; otherwise says why the caller skips. */
export function haveLatencyTables(): boolean {
  if (existsSync(LATENCY_DIR)) return true;
  console.log(`skipping tests on the original latency tables: ${LATENCY_DIR} does not exist`);
  return false;
}
