// A run directory: the resolved config, JSON-lines logs, and a checkpoint that holds GPU tensors,
// host arrays and a JSON state, written to a temporary name and renamed. Logs can be cut back to
// the length recorded in a checkpoint, so a resumed run never repeats a line.
import { appendFileSync, existsSync, mkdirSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors, type HostTensor } from '../engine/checkpoint.js';
import { Tensor } from '../engine/tensor.js';

export class RunDir {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  path(name: string): string { return join(this.dir, name); }

  has(name: string): boolean { return existsSync(this.path(name)); }

  /** Appends one JSON object as a line. */
  log(name: string, record: object): void {
    appendFileSync(this.path(name), JSON.stringify(record) + '\n');
  }

  /** Current byte lengths of the named logs, for a checkpoint. */
  logSizes(names: string[]): Record<string, number> {
    return Object.fromEntries(names.map((n) => [n, this.has(n) ? statSync(this.path(n)).size : 0]));
  }

  /** Cuts each log back to the recorded length (lines written after the checkpoint go). */
  truncateLogs(sizes: Record<string, number>): void {
    for (const [n, size] of Object.entries(sizes)) if (this.has(n) && statSync(this.path(n)).size > size) truncateSync(this.path(n), size);
  }
}

export interface CheckpointContents {
  gpu: Record<string, Tensor>;
  host: Record<string, HostTensor>;
  state: unknown;
}

/** Reads GPU tensors back and writes everything to `path` atomically. */
export async function saveCheckpoint(path: string, c: CheckpointContents): Promise<void> {
  const entries: Record<string, HostTensor> = { ...c.host };
  for (const [name, t] of Object.entries(c.gpu)) entries[name] = { shape: [...t.shape], data: await t.toArray() };
  writeSafetensors(path, entries, { state: JSON.stringify(c.state) });
}

/** Reads a checkpoint written by saveCheckpoint. */
export function readCheckpoint(path: string): { tensors: Record<string, HostTensor>; state: any } {
  const { tensors, metadata } = readSafetensors(path);
  if (typeof metadata.state !== 'string') throw new Error(`${path}: not a densenas checkpoint (no state in its metadata)`);
  try {
    return { tensors, state: JSON.parse(metadata.state) };
  } catch (e) {
    throw new Error(`${path}: corrupt checkpoint state (${(e as Error).message})`);
  }
}
