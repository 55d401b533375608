// Helpers for the data tests: temporary directories, an independent reading of the IDX files
// (fixed offsets, not nas/data/idx.ts), and running the CLI in a child process.
import * as fs from 'node:fs';
import { gunzipSync } from 'node:zlib';

export const FMNIST = '/usr/share/datasets/fashion-mnist';
export { CLI, runCli, tempDir, type CliResult } from '../cli.js';

/** Image i (784 bytes) and its label, read at the offsets the IDX format fixes (16 and 8 bytes of header). */
export function idxImage(split: 'train' | 't10k', i: number): { pixels: Buffer; label: number } {
  const imgs = cached(`${FMNIST}/${split}-images-idx3-ubyte.gz`), lbls = cached(`${FMNIST}/${split}-labels-idx1-ubyte.gz`);
  return { pixels: imgs.subarray(16 + i * 784, 16 + (i + 1) * 784), label: lbls[8 + i] };
}
const files = new Map<string, Buffer>();
function cached(f: string): Buffer {
  if (!files.has(f)) files.set(f, gunzipSync(fs.readFileSync(f)));
  return files.get(f)!;
}


export async function throwsWith(f: () => unknown, ...parts: string[]): Promise<string> {
  try {
    await f();
  } catch (e) {
    const msg = (e as Error).message;
    for (const p of parts) if (!msg.includes(p)) throw new Error(`error message '${msg}' does not mention '${p}'`);
    return msg;
  }
  throw new Error(`expected an error mentioning ${parts.join(', ')}`);
}
