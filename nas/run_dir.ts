// A run directory: the resolved config, JSON-lines logs, and a checkpoint that holds GPU tensors,
// host arrays and a JSON state, written to a temporary name and renamed. Logs can be cut back to
// the length recorded in a checkpoint, so a resumed run never repeats a line. A lock file with
// the owner's pid keeps a second process out of a directory in use.
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, statSync, truncateSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors, type HostTensor } from '../engine/checkpoint.js';
import { Tensor } from '../engine/tensor.js';
import { fsError } from './io.js';
import type { StepReporter } from './progress.js';

export class RunDir {
  constructor(readonly dir: string) {
    if (existsSync(dir) && !statSync(dir).isDirectory()) throw new Error(`${dir}: exists and is not a directory (a run directory is needed)`);
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw fsError(e, dir, 'cannot create the run directory');
    }
  }

  path(name: string): string { return join(this.dir, name); }

  has(name: string): boolean { return existsSync(this.path(name)); }

  /** Appends one JSON object as a line. */
  log(name: string, record: object): void {
    try {
      appendFileSync(this.path(name), JSON.stringify(record) + '\n');
    } catch (e) {
      throw fsError(e, this.path(name), 'cannot append to the log');
    }
  }

  /** Current byte lengths of the named logs, for a checkpoint. */
  logSizes(names: string[]): Record<string, number> {
    return Object.fromEntries(names.map((n) => [n, this.has(n) ? statSync(this.path(n)).size : 0]));
  }

  /**
   * Cuts each log back to the recorded length (lines written after the checkpoint go). A log
   * shorter than recorded lost lines: it is cut back to its last whole line, so that the next
   * line does not join a partial one. Returns a message for each such log.
   */
  truncateLogs(sizes: Record<string, number>): string[] {
    const notes: string[] = [];
    for (const [n, size] of Object.entries(sizes)) {
      const p = this.path(n), have = this.has(n) ? statSync(p).size : 0;
      if (have > size) truncateSync(p, size);
      else if (have < size) {
        const whole = have ? lastLineEnd(p, have) : 0;
        if (have) truncateSync(p, whole);
        notes.push(`${p}: ${size - whole} bytes shorter than the checkpoint recorded (lines were lost); continuing after its last whole line`);
      }
    }
    return notes;
  }
}

/** Byte length of a file up to and including its last newline. */
function lastLineEnd(path: string, size: number): number {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    for (let end = size; end > 0;) {
      const start = Math.max(0, end - buf.length);
      readSync(fd, buf, 0, end - start, start);
      const i = buf.subarray(0, end - start).lastIndexOf(10);
      if (i >= 0) return start + i + 1;
      end = start;
    }
    return 0;
  } finally {
    closeSync(fd);
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** DIR/run.lock, holding the pid of the process that owns the directory. */
const LOCK_WAIT_MS = 5000;

/** True when process `pid` is not running, or stops within `ms`. */
function endsWithin(pid: number, ms: number): boolean {
  const tick = new Int32Array(new SharedArrayBuffer(4));
  for (let waited = 0; alive(pid); waited += 100) {
    if (waited >= ms) return false;
    Atomics.wait(tick, 0, 0, 100);
  }
  return true;
}

export class RunLock {
  private constructor(readonly path: string) {}

  /** Takes the lock; refuses when a live process holds it, takes over a dead one's with a message. */
  static acquire(run: RunDir, reporter: StepReporter): RunLock {
    const path = run.path('run.lock');
    for (let attempt = 0; ; attempt++) {
      try {
        const fd = openSync(path, 'wx');
        try { writeSync(fd, `${process.pid}\n`); } finally { closeSync(fd); }
        return new RunLock(path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw fsError(e, path, 'cannot take the run lock');
      }
      const text = readFileSync(path, 'utf8').trim(), pid = Number(text);
      // A densenas killed with SIGKILL leaves its worker process (engine/quiet.ts) a moment to notice
      // and end: give the holder a few seconds before refusing.
      if (Number.isInteger(pid) && pid > 0 && !endsWithin(pid, LOCK_WAIT_MS)) {
        throw new Error(`${run.dir} is in use by process ${pid} (${path}); wait for it to end, or choose another --out`);
      }
      reporter.line(`${path}: taking over the lock of process ${text || '(none recorded)'}, which is no longer running`);
      unlinkSync(path);
    }
  }

  release(): void {
    try {
      if (readFileSync(this.path, 'utf8').trim() === String(process.pid)) unlinkSync(this.path);
    } catch { /* already gone */ }
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
