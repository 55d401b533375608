// One resumable run, shared by every training loop (search, retrain): a locked run directory,
// refuse-or-resume, a fingerprint of what the run depends on that a resume must match, logs
// emptied on a fresh start and cut back to the checkpoint's sizes on a resume, the checkpoint
// (loop state, tensors, fingerprint, log sizes), a stop request from SIGINT/SIGTERM, and a stop
// with a clear error when a loss turns non-finite.
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import type { HostTensor } from '../engine/checkpoint.js';
import { defaultConfig, type Config } from './config.js';
import type { Dataset } from './data/dataset.js';
import type { StepReporter } from './progress.js';
import { readCheckpoint, RunDir, RunLock, saveCheckpoint, type CheckpointContents } from './run_dir.js';
import { StopSignal } from './training.js';

export const CHECKPOINT = 'checkpoint.safetensors';

/** Config keys a resume may change by design: more epochs, the cost weight, the log interval. */
export const RESUMABLE_KEYS = ['train_params.epochs', 'optim.sub_obj.sub_loss_factor', 'search_params.log_every'];

/** What a set of images is: where it was read, how many, how many classes, a hash of its keys and labels. */
export interface DataIdentity { source: string; images: number; classes: number; hash: string }

export function dataIdentity(ds: Dataset): DataIdentity {
  const h = createHash('sha256');
  h.update(JSON.stringify(ds.classes));
  for (const e of ds.entries) h.update(`${e.key}\t${e.label}\n`);
  return { source: resolve(ds.source), images: ds.entries.length, classes: ds.classes.length, hash: h.digest('hex').slice(0, 16) };
}

/** Everything a run's results depend on, as recorded at its start. */
export interface Fingerprint {
  /** The resolved config by dotted key (JSON text of each value), less RESUMABLE_KEYS. */
  config: Record<string, string>;
  data: Record<string, DataIdentity>;
  /** Content hash of the cost table, null without one. */
  table: string | null;
  /** Anything else the loop depends on (a retrain's net_config), by name. */
  extra: Record<string, string>;
}

function flatten(v: unknown, prefix: string, out: Record<string, string>): Record<string, string> {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) flatten(x, prefix ? `${prefix}.${k}` : k, out);
  } else if (!RESUMABLE_KEYS.includes(prefix)) out[prefix] = JSON.stringify(v);
  return out;
}

export const contentHash = (x: unknown) => createHash('sha256').update(JSON.stringify(x)).digest('hex').slice(0, 16);

export function fingerprintOf(cfg: Config, data: Record<string, DataIdentity>, table: unknown, extra: Record<string, string> = {}): Fingerprint {
  return { config: flatten(cfg, '', {}), data, table: table === undefined || table === null ? null : contentHash(table), extra };
}

/** What differs between the fingerprint a run started with and the current one, one line each. */
export function fingerprintDiff(was: Fingerprint, now: Fingerprint): string[] {
  const out: string[] = [];
  const defaults = flatten(defaultConfig(), '', {});
  for (const k of new Set([...Object.keys(was.config), ...Object.keys(now.config)])) {
    // a key added since the run started, at its default: the behaviour the run had
    if (was.config[k] === undefined && now.config[k] === defaults[k]) continue;
    if (was.config[k] !== now.config[k]) out.push(`config ${k}: ${now.config[k] ?? 'unset'}, the run has ${was.config[k] ?? 'unset'}`);
  }
  const img = (d?: DataIdentity) => (d ? `${d.images} images in ${d.classes} classes at ${d.source} (${d.hash})` : 'none');
  for (const k of new Set([...Object.keys(was.data), ...Object.keys(now.data)])) {
    const a = was.data[k], b = now.data[k];
    if (a?.images !== b?.images || a?.classes !== b?.classes || a?.hash !== b?.hash) out.push(`${k} data: ${img(b)}, the run has ${img(a)}`);
  }
  if (was.table !== now.table) out.push(`cost table: content ${now.table ?? 'none'}, the run has ${was.table ?? 'none'}`);
  for (const k of new Set([...Object.keys(was.extra), ...Object.keys(now.extra)])) {
    if (was.extra[k] !== now.extra[k]) out.push(`${k}: differs from the run's`);
  }
  return out;
}

/** Where a loop stands, for messages: "epoch 3, weight batch 12". */
export interface At { epoch: number; phase: string; batch: number }

export class NonFiniteError extends Error {}

export interface RunOptions {
  out: string;
  resume: boolean;
  /** What the run is, for messages: 'search', 'retrain'. */
  kind: string;
  /** JSON-lines logs of the run, emptied on a fresh start and cut back on a resume. */
  logs: string[];
  /** Folders of results a fresh start removes (best/). */
  results: string[];
  fingerprint: Fingerprint;
  reporter: StepReporter;
}

export class ResumableRun<S> {
  readonly checkpoint: string;
  readonly stop: StopSignal;
  /** The tensors and loop state of the checkpoint resumed from; null on a fresh start. */
  readonly resumed: { tensors: Record<string, HostTensor>; state: S } | null;

  private constructor(readonly dir: RunDir, private readonly lock: RunLock, private readonly o: RunOptions) {
    this.checkpoint = dir.path(CHECKPOINT);
    try {
      this.resumed = this.refuseOrResume();
    } catch (e) {
      lock.release();
      throw e;
    }
    this.stop = new StopSignal(o.reporter);
  }

  /** Locks `out` (made when missing) and resumes its checkpoint or starts it afresh. */
  static open<S>(o: RunOptions): ResumableRun<S> {
    const dir = new RunDir(o.out);
    return new ResumableRun<S>(dir, RunLock.acquire(dir, o.reporter), o);
  }

  private refuseOrResume(): { tensors: Record<string, HostTensor>; state: S } | null {
    const { dir, o } = this;
    const has = dir.has(CHECKPOINT);
    if (has && !o.resume) throw new Error(`${o.out} already holds a ${o.kind} (${CHECKPOINT}); pass --resume to continue it or choose another --out`);
    if (o.resume && !has) throw new Error(`--resume: ${o.out} holds no ${CHECKPOINT} to resume from`);
    if (!o.resume) {
      // A run killed before its first checkpoint left logs and results that no checkpoint accounts for.
      for (const f of [...o.logs, ...o.results]) rmSync(dir.path(f), { recursive: true, force: true });
      return null;
    }
    const { tensors, state } = readCheckpoint(this.checkpoint);
    if (state === null || typeof state !== 'object' || !('loop' in state) || !('fingerprint' in state)) {
      throw new Error(`${this.checkpoint}: not a checkpoint of this version (no fingerprint or loop state): start a new run`);
    }
    const diff = fingerprintDiff(state.fingerprint as Fingerprint, o.fingerprint);
    if (diff.length) {
      throw new Error(`--resume: ${o.out} was started with other inputs than these; resume with the run's own, or start a new run with another --out:\n  ${diff.join('\n  ')}`);
    }
    const sizes = state.logSizes as Record<string, number>;
    if (sizes === null || typeof sizes !== 'object' || Object.values(sizes).some((n) => !(Number.isInteger(n) && n >= 0))) {
      throw new Error(`${this.checkpoint}: corrupt state (logSizes)`);
    }
    for (const m of dir.truncateLogs(sizes)) o.reporter.line(m);
    return { tensors, state: state.loop as S };
  }

  /** Saves the loop's state and tensors with the fingerprint and the current log sizes. */
  async save(c: CheckpointContents): Promise<void> {
    await saveCheckpoint(this.checkpoint, {
      gpu: c.gpu, host: c.host,
      state: { fingerprint: this.o.fingerprint, logSizes: this.dir.logSizes(this.o.logs), loop: c.state },
    });
  }

  /** Stops the run with a clear error when a loss or cost is NaN or infinite; the last checkpoint and best/ stay. */
  checkFinite(what: string, value: number, at: At): void {
    if (Number.isFinite(value)) return;
    throw new NonFiniteError(`${this.o.kind} ${this.o.out}: the ${what} is ${value} at epoch ${at.epoch}, ${at.phase} batch ${at.batch}; ` +
      `stopped, keeping the last checkpoint and best/ (a learning rate too high?)`);
  }

  /** Releases the lock and the signal handlers. */
  close(): void {
    this.stop.dispose();
    this.lock.release();
  }
}

/** Checks a field of a checkpoint's loop state, naming the checkpoint and the field. */
export function checkStateField(path: string, name: string, v: unknown, ok: boolean): void {
  if (!ok) throw new Error(`${path}: corrupt state: ${name} is ${JSON.stringify(v)}`);
}

export const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
