// A search run directory as the plots need it: the config and its space, the per-phase and
// per-epoch lines of metrics.jsonl and the architecture parameters of arch.jsonl, every line
// checked, with errors that name the file and the line. A run in progress is read as far as
// it has got.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { archParamsFromJson, type ArchParams } from '../arch_params.js';
import { loadConfig, type Config } from '../config.js';
import { deriveArch, type Derived } from '../derive.js';
import { readText } from '../io.js';
import { parseNetConfigText, type NetConfig } from '../net_config.js';
import { PHASES, type Phase } from '../search_step.js';
import { buildSpace, type SearchSpace } from '../space.js';


export interface PhaseLine { epoch: number; phase: Phase; loss: number; top1: number }
export interface EpochLine {
  epoch: number; expected_cost: number; table_cost: number | null; units: string; layers?: number; params?: number;
  /** The architecture the search derived at this epoch (a cost target can make it other than the Viterbi one). */
  derived?: { path: number[]; net: NetConfig };
  /** How: 'viterbi' (the original) or 'in_band' (the most probable within the cost target). */
  derivation?: string;
  /** Mean entropy (nats) of the op weights at the end of the epoch (nas/entropy.ts). */
  mean_op_entropy?: number;
  /** The derived architecture's rows' op entropy as a share of uniform (runs from before it was recorded lack it). */
  arch_op_entropy_share?: number;
}
export interface ArchEpoch { epoch: number; params: ArchParams }

export interface RunData {
  dir: string;
  cfg: Config;
  space: SearchSpace;
  /** The last line of each (epoch, phase), in file order. */
  phases: PhaseLine[];
  epochs: EpochLine[];
  /** Architecture parameters (logits) at the end of each finished epoch; never empty. */
  arch: ArchEpoch[];
}

/** The architecture derived at the last finished epoch: as the search recorded it, else the Viterbi one. */
export function lastDerived(run: RunData): Pick<Derived, 'path' | 'net'> {
  const last = run.arch[run.arch.length - 1];
  return run.epochs.find((e) => e.epoch === last.epoch)?.derived ?? deriveArch(run.space, last.params);
}

type Line = Record<string, unknown>;

/** Non-blank lines of a JSON-lines file, each parsed to an object, with its 1-based line number. */
export function jsonLines(path: string, what: string): { line: number; rec: Line; text: string }[] {
  const out = [];
  const lines = readText(path, what).split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].trim()) continue;
    let rec: unknown;
    try {
      rec = JSON.parse(lines[i]);
    } catch (err) {
      throw new Error(`${what} ${path} line ${i + 1}: not a JSON object (${(err as Error).message})`);
    }
    if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) throw new Error(`${what} ${path} line ${i + 1}: expected a JSON object`);
    out.push({ line: i + 1, rec: rec as Line, text: lines[i] });
  }
  return out;
}

export const isEpoch = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
export const isNum = (v: unknown) => typeof v === 'number' && Number.isFinite(v);

export function field<T>(rec: Line, key: string, ok: (v: unknown) => boolean, expected: string, where: string): T {
  if (!ok(rec[key])) throw new Error(`${where}: field ${key} must be ${expected}, got ${JSON.stringify(rec[key]) ?? 'nothing'}`);
  return rec[key] as T;
}

function readMetrics(path: string, netType: string): { phases: PhaseLine[]; epochs: EpochLine[] } {
  const phases = new Map<string, PhaseLine>(), epochs = new Map<number, EpochLine>();
  for (const { line, rec } of jsonLines(path, 'metrics.jsonl')) {
    const where = `metrics.jsonl ${path} line ${line}`;
    const kind = field<string>(rec, 'kind', (v) => v === 'step' || v === 'phase' || v === 'epoch', "'step', 'phase' or 'epoch'", where);
    const epoch = field<number>(rec, 'epoch', isEpoch, 'an epoch number', where);
    if (kind === 'phase') {
      const phase = field<Phase>(rec, 'phase', (v) => PHASES.includes(v as Phase), `one of ${PHASES.join(', ')}`, where);
      phases.set(`${epoch}/${phase}`, { epoch, phase, loss: field(rec, 'loss', isNum, 'a number', where), top1: field(rec, 'top1', isNum, 'a number', where) });
    } else if (kind === 'epoch') {
      epochs.set(epoch, {
        epoch,
        expected_cost: field(rec, 'expected_cost', isNum, 'a number', where),
        table_cost: field(rec, 'table_cost', (v) => v === null || isNum(v), 'a number or null', where),
        units: field(rec, 'units', (v) => typeof v === 'string', 'a string', where),
        layers: isNum(rec.layers) ? (rec.layers as number) : undefined,
        params: isNum(rec.params) ? (rec.params as number) : undefined,
        derived: typeof rec.arch === 'string' && Array.isArray(rec.path)
          ? { path: field<number[]>(rec, 'path', (v) => Array.isArray(v) && v.every(isEpoch), 'a list of node numbers', where), net: parseNetConfigText(`${rec.arch}\nnet_type: ${netType}`, `${where}: field arch`) }
          : undefined,
        derivation: typeof rec.derivation === 'string' ? rec.derivation : undefined,
        mean_op_entropy: isNum(rec.mean_op_entropy) ? (rec.mean_op_entropy as number) : undefined,
        arch_op_entropy_share: isNum(rec.arch_op_entropy_share) ? (rec.arch_op_entropy_share as number) : undefined,
      });
    }
  }
  return { phases: [...phases.values()], epochs: [...epochs.values()].sort((a, b) => a.epoch - b.epoch) };
}

function readArch(path: string, space: SearchSpace): ArchEpoch[] {
  const byEpoch = new Map<number, ArchEpoch>();
  for (const { line, rec, text } of jsonLines(path, 'arch.jsonl')) {
    const where = `arch.jsonl ${path} line ${line}`;
    const epoch = field<number>(rec, 'epoch', isEpoch, 'an epoch number', where);
    byEpoch.set(epoch, { epoch, params: archParamsFromJson(text, space, `${path} line ${line}`) });
  }
  return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
}

export function readRun(dir: string): RunData {
  const configPath = join(dir, 'config.yaml');
  if (!existsSync(configPath)) throw new Error(`${dir} is not a search run directory: it has no config.yaml`);
  const cfg = loadConfig([configPath]);
  const space = buildSpace(cfg);
  const { phases, epochs } = readMetrics(join(dir, 'metrics.jsonl'), cfg.net_type);
  const archPath = join(dir, 'arch.jsonl');
  const arch = existsSync(archPath) ? readArch(archPath, space) : [];
  if (!arch.length) throw new Error(`arch.jsonl ${archPath}: no epoch has finished yet (the plots are drawn from the end of each epoch)`);
  return { dir, cfg, space, phases, epochs, arch };
}
