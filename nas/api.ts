// The NAS as functions, for programs and for the densenas commands alike: a config, its space,
// the cost tables, a search with progress and per-epoch callbacks, derivation, retraining,
// validation and export. Functions that run on the GPU open the engine when it is not open yet
// (`engine/runtime` init); the caller ends it with `destroy()` and, in a program, `process.exit`.
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { destroy, init, runtime, type Runtime } from '../engine/runtime.js';
import { Random } from '../engine/random.js';
import { noGrad, Tensor, tidy } from '../engine/tensor.js';
import { archParamsFromJson, zeroArchParams } from './arch_params.js';
import { summarizeArch } from './arch_summary.js';
import { applyOverrides, loadConfig, type Config } from './config.js';
import { chainedCost } from './cost_chain.js';
import { costLoss, costLossOptions } from './cost_loss.js';
import {
  buildCostTable, chooseCosts, opsTableCost, readAnyCostTable, readCostTable, spaceOpDescs,
  writeCostTable, type CostTable,
} from './cost_table.js';
import { opCounts, sumCounts } from './counting.js';
import { openDataset } from './data/dataset.js';
import { choiceOfRecord, costBand, derivedRecord } from './derive.js';
import { derivedBn, type DerivedNet } from './derived.js';
import { exportFolded, isFoldedDir, type FoldedMeta, type FoldedNet } from './export.js';
import { readText, writeFileAtomic } from './io.js';
import { calibrateTable, measureOp } from './latency.js';
import { archOps, formatArch, readNetFile, totalLayers, writeNetConfigPair, type ArchShape, type NetConfig } from './net_config.js';
import { writeOnnx, type OnnxExport } from './onnx.js';
import { classNames } from './predict.js';
import { silentReporter, type PhaseBar, type StepReporter, type StepStats } from './progress.js';
import { runRetrain, type RetrainResult } from './retrain.js';
import { deriveFromRun, type RunDeriveOptions, type RunDerived } from './run_derive.js';
import { readRun } from './plots/run.js';
import { sampleInBand } from './sample.js';
import { restoreSupernet, scoreOnSupernet } from './supernet_score.js';
import { measureArchSignal, type ArchSignal } from './arch_signal.js';
import { SearchModel } from './search_step.js';
import { searchLoaders } from './search_data.js';
import { runSearch, type SearchResult } from './search.js';
import { buildSpace, type SearchSpace } from './space.js';
import { openTrained, testLoader, validate, type Validation } from './validate.js';

/** Where a retrain run records the class folders of its data. */
export const CLASSES_FILE = 'classes.json';

type ConfigSource = string | string[] | Config;

/** Opens the engine on the adapter named by `adapter` (see DeviceOptions), unless it is open. */
export async function openEngine(o: { adapter?: string } = {}): Promise<Runtime> {
  try {
    return runtime();
  } catch {
    return init({ adapter: o.adapter });
  }
}

/** A config: YAML files merged in order over the defaults (or a resolved Config), then `key=value` overrides. */
export function resolveConfig(config: ConfigSource | undefined, set: string[] = []): Config {
  if (config === undefined || typeof config === 'string' || Array.isArray(config)) {
    return loadConfig(config === undefined ? [] : Array.isArray(config) ? config : [config], set);
  }
  const cfg = structuredClone(config);
  applyOverrides(cfg, set);
  return cfg;
}

/** The costs a search optimises: a table (a file, the run's own, or the config's), else counted FLOPs. */
export function searchCosts(cfg: Config, space: SearchSpace, o: { table?: string; out?: string } = {}) {
  return chooseCosts(space, cfg.optim.sub_obj, o.table, o.out && join(o.out, 'cost_table.json'));
}

/** The chained expected cost of a space (uniform, or given architecture parameters) and the cost term of the loss. */
export function expectedCost(cfg: Config, o: { table?: string; params?: string } = {}) {
  const space = buildSpace(cfg);
  const { costs, table, mismatches } = chooseCosts(space, cfg.optim.sub_obj, o.table);
  const units = table.units;
  const params = o.params ? archParamsFromJson(readText(o.params, 'arch params'), space, o.params) : zeroArchParams(space);
  const { cost } = chainedCost(space, costs, params, { temperature: cfg.search_params.softmax_temp, expectOver: 'all' });
  const loss = costLoss(cost, costLossOptions(cfg));
  const lambdaEff = cfg.optim.sub_obj.sub_loss_factor / Math.log(cfg.optim.sub_obj.log_base);
  return { cost, units, loss: loss.value, dLossdC: loss.dC, lambdaEff, mismatches };
}

/** Params and multiply-adds of a net_config at an input shape, and its cost summed from a table when given one. */
export function countArch(net: NetConfig, shape: Omit<ArchShape, 'batch'>, o: { table?: string; config?: Config } = {}) {
  const ops = archOps(net, { ...shape, batch: 1 });
  const counts = sumCounts(ops.map((d) => opCounts(d, true)));
  const out = { arch: formatArch(net), netType: net.netType, totalLayers: totalLayers(net), ...shape, params: counts.params, madds: counts.madds };
  if (!o.table) return out;
  const { table, mismatches } = readAnyCostTable(o.table, o.config ? buildSpace(o.config) : undefined);
  const cost = opsTableCost(ops, table);
  return {
    ...out, table: { kind: table.kind, units: table.units, device: table.device, batch: table.batch },
    cost: cost.missing.length ? null : cost.total, missing: cost.missing, mismatches,
  };
}

/** Where a long run stands, for progress displays: a phase's batches within an epoch of the run. */
export interface Progress {
  /** The phase, as the loops name it ('epoch 3 weight', 'epoch 3 test', 'lut ...'). */
  label: string;
  done: number;
  total: number;
  /** The epoch the phase belongs to, and the run's epochs, when the phase is part of one. */
  epoch?: number;
  epochs?: number;
  stats?: StepStats;
}

/** A reporter that calls `onProgress` for every step and passes lines and steps on to `base`. */
export function progressReporter(onProgress: (p: Progress) => void, epochs?: number, base: StepReporter = silentReporter): StepReporter {
  return {
    line: (text) => base.line(text),
    phase(label, total, start): PhaseBar {
      const bar = base.phase(label, total, start);
      const m = /^epoch (\d+)\b/.exec(label);
      const epoch = m ? Number(m[1]) : undefined;
      return {
        update(done, stats) { bar.update(done, stats); onProgress({ label, done, total, epoch, epochs, stats }); },
        done: () => bar.done(),
      };
    },
  };
}

/** Calls `onEpoch` with each `epoch` record a run appends to RUN/metrics.jsonl (checked whenever the run reports). */
function epochWatcher(out: string, onEpoch: (record: Record<string, unknown>) => void, base: StepReporter): StepReporter {
  const file = join(out, 'metrics.jsonl');
  let read = existsSync(file) ? statSync(file).size : 0;
  const check = () => {
    if (!existsSync(file) || statSync(file).size <= read) return;
    const text = readFileSync(file).subarray(read);
    const end = text.lastIndexOf(10) + 1;   // whole lines only
    read += end;
    for (const line of text.subarray(0, end).toString('utf8').split('\n')) {
      if (!line) continue;
      const rec = JSON.parse(line) as Record<string, unknown>;
      if (rec.kind === 'epoch') onEpoch(rec);
    }
  };
  return {
    line(text) { base.line(text); check(); },
    phase(label, total, start) { check(); return base.phase(label, total, start); },
  };
}

/** What both training loops take beside their own settings. */
export interface RunOptions {
  /** Run directory. */
  out: string;
  /** Continue the run in `out` from its checkpoint (the run's own config.yaml is used). */
  resume?: boolean;
  /** Delete an existing run directory first. */
  force?: boolean;
  /** Lines and progress bars (default: none). */
  reporter?: StepReporter;
  /** Called at every step of every phase. */
  onProgress?: (p: Progress) => void;
  /** Called with each epoch's record (the `epoch` line of RUN/metrics.jsonl) when the epoch ends. */
  onEpoch?: (record: Record<string, unknown>) => void;
  /** GPU adapter when the engine is not open yet. */
  adapter?: string;
}

/** Prepares a run directory (--force, --resume) and its config: the run's own when resuming. */
function startRun(o: RunOptions & { config?: ConfigSource; set?: string[] }, what: string): Config {
  if (o.force && o.resume) throw new Error('--force and --resume exclude each other: --force deletes the run that --resume would continue');
  if (o.force && existsSync(o.out)) rmSync(o.out, { recursive: true, force: true });
  const saved = join(o.out, 'config.yaml');
  if (o.resume && existsSync(saved)) return loadConfig([saved], o.set ?? []);
  if (o.config === undefined) throw new Error(`--config is required for a new ${what}`);
  return resolveConfig(o.config, o.set);
}

function reporterFor(o: RunOptions, epochs: number): StepReporter {
  o.reporter?.run?.(epochs);
  let r = o.reporter ?? silentReporter;
  if (o.onProgress) r = progressReporter(o.onProgress, epochs, r);
  if (o.onEpoch) r = epochWatcher(o.out, o.onEpoch, r);
  return r;
}

export interface SearchRunOptions extends RunOptions {
  /** Config YAML file(s) or a resolved Config (not needed to resume). */
  config?: ConfigSource;
  set?: string[];
  /** Images: a folder (its train/ part) or an LMDB, as the data commands write them. */
  data: string;
  /** Latency table file (lut build, or an original positional table); FLOPs searches need none. */
  table?: string;
}

export interface SearchRunResult extends SearchResult { cfg: Config; space: SearchSpace; table: CostTable; out: string }

/** The DenseNAS search into a run directory (resumable; see nas/search.ts). */
export async function search(o: SearchRunOptions): Promise<SearchRunResult> {
  const cfg = startRun(o, 'search');
  const space = buildSpace(cfg);
  const { table, costs } = searchCosts(cfg, space, { table: o.table, out: o.resume ? o.out : undefined });
  const rt = await openEngine(o);
  const reporter = reporterFor(o, cfg.train_params.epochs);
  reporter.line(`search on ${rt.device.info.description}: ${space.numNodes} nodes, ${cfg.train_params.epochs} epochs, `
    + `cost ${table.kind} (${table.units}) from ${table.device}`);
  const r = await runSearch({ cfg, space, costs, table, data: o.data, out: o.out, resume: o.resume, reporter });
  return { ...r, cfg, space, table, out: o.out };
}

/** A search run's architecture again, for its cost target or another, from any recorded epoch (default: best). */
export function derive(run: string, o: Partial<RunDeriveOptions> = {}): RunDerived {
  return deriveFromRun(run, { epoch: o.epoch ?? 'best', target: o.target, targetForm: o.targetForm, tolerance: o.tolerance });
}

/**
 * `count` distinct random architectures of the config's space whose cost lies in the band of a
 * target (the config's target form and tolerance unless given), the baseline a search must beat;
 * with `out`, each written as OUT/arch-i/net_config(.json) for retrain.
 */
export function sampleArchitectures(cfg: Config, o: {
  target: number; targetForm?: 'upper' | 'two_sided'; tolerance?: number; count: number; seed: number; table?: string; out?: string;
}) {
  const space = buildSpace(cfg), so = cfg.optim.sub_obj;
  const { table, costs } = chooseCosts(space, so, o.table);
  const band = costBand(o.target, o.targetForm ?? so.target_form, o.tolerance ?? so.target_tolerance);
  const archs = sampleInBand(space, costs, band, o.count, new Random(o.seed)).map((d, i) => {
    const record = { index: i, seed: o.seed, ...derivedRecord(space, d, summarizeArch(d.net, cfg, table), table.units), target: band.target, band: [band.lo, band.hi] };
    if (o.out) writeNetConfigPair(join(o.out, `arch-${i}`), d.net, record);
    return { ...record, net: d.net };
  });
  return { table, band, archs };
}

export interface ArchScore { dir: string; arch: string; table_cost: number | null; supernet_top1: number; supernet_loss: number }

/**
 * Scores architectures on a search run's supernet (inherited weights; nas/supernet_score.ts):
 * each DIR/net_config.json that `sample`, `derive` or a search wrote (its record names the path
 * and ops) gets supernet_top1, supernet_loss and supernet_run in its record.
 */
export async function scoreArchitectures(o: { run: string; data: string; dirs: string[]; adapter?: string; bar?: (i: number, batches: number) => PhaseBar }): Promise<ArchScore[]> {
  const { space } = readRun(o.run);
  const records = o.dirs.map((dir) => {
    const file = join(dir, 'net_config.json');
    const { net, record: rec = {} } = readNetFile(file);
    return { dir, file, net, rec, choice: choiceOfRecord(space, rec, file) };
  });
  await openEngine(o);
  const evs = await scoreOnSupernet(o.run, o.data, records.map((r) => r.choice), o.bar);
  return records.map(({ dir, net, rec }, i) => {
    writeNetConfigPair(dir, net, { ...rec, supernet_top1: evs[i].top1, supernet_loss: evs[i].loss, supernet_run: realpathSync(o.run) });
    return { dir, arch: String(rec.arch ?? ''), table_cost: typeof rec.table_cost === 'number' ? rec.table_cost : null, supernet_top1: evs[i].top1, supernet_loss: evs[i].loss };
  });
}

/**
 * How much of a search run's architecture gradient is signal (nas/arch_signal.ts): every
 * search-validation batch's gradient at the run's last weights and architecture parameters.
 */
export async function archSignal(o: { run: string; data: string; adapter?: string; bar?: (batches: number) => PhaseBar }): Promise<ArchSignal & { epoch: number; arch_steps: number }> {
  const { cfg, space, arch } = readRun(o.run);
  const { costs } = searchCosts(cfg, space, { out: o.run });
  await openEngine(o);
  const model = new SearchModel(cfg, space, costs, new Random(0));
  try {
    restoreSupernet(o.run, model.net);
    const last = arch[arch.length - 1];
    for (const k of ['betas', 'head', 'stack'] as const) model.params[k].forEach((x, i) => x.set(last.params[k][i]));
    const val = searchLoaders(cfg, o.data).val, bar = o.bar?.(val.batches);
    const s = await measureArchSignal(model, val, cfg.train_params.seed, (i) => bar?.update(i));
    bar?.done();
    // the arch steps the run's config gives a whole search, to set beside batches_to_decide
    const archSteps = Math.max(0, cfg.train_params.epochs - cfg.search_params.arch_update_epoch) * val.batches;
    return { epoch: last.epoch, arch_steps: archSteps, ...s };
  } finally {
    model.net.dispose();
  }
}

export interface RetrainRunOptions extends RunOptions {
  /** A net_config (file, text or JSON format, or parsed); not needed to resume. */
  netConfig?: string | NetConfig;
  config?: ConfigSource;
  set?: string[];
  /** Data directory with train/ and test/. */
  data: string;
  /** Keyed latency table kept with the run for validate. */
  table?: string;
}

/** Trains a derived architecture from scratch, evaluating on DATA/test after every epoch. */
export async function retrain(o: RetrainRunOptions): Promise<RetrainResult & { cfg: Config; net: NetConfig; out: string }> {
  const cfg = startRun(o, 'retrain');
  const ownNet = join(o.out, 'net_config.json');
  const netSrc = o.resume && existsSync(ownNet) ? ownNet : o.netConfig;
  if (netSrc === undefined) throw new Error('--net-config is required for a new retrain');
  const { net, origin } = typeof netSrc === 'string' ? readNetSource(netSrc, netSrc === ownNet) : { net: netSrc, origin: undefined };
  const ownTable = join(o.out, 'cost_table.json');
  const tableFile = o.table ?? (o.resume && existsSync(ownTable) ? ownTable : undefined);
  const table = tableFile ? readCostTable(tableFile) : undefined;
  const rt = await openEngine(o);
  recordClassNames(o.data, o.out);
  const reporter = reporterFor(o, cfg.train_params.epochs);
  reporter.line(`retrain on ${rt.device.info.description}: ${cfg.train_params.epochs} epochs, batch ${cfg.data.batch_size}, `
    + `lr ${cfg.optim.init_lr} cosine to ${cfg.optim.min_lr}`);
  const r = await runRetrain({ cfg, net, data: o.data, out: o.out, resume: o.resume, table, origin, reporter });
  return { ...r, cfg, net, out: o.out };
}

/**
 * A net_config file's architecture, and what its JSON form says of it beside the entries (a
 * search's, derive's or sample's record: cost, path and ops, supernet score) with the file's
 * path; a retrain run's own file keeps that under `origin`.
 */
function readNetSource(path: string, own: boolean): { net: NetConfig; origin?: Record<string, unknown> } {
  const { net, record } = readNetFile(path);
  if (!record || own) return { net, origin: record?.origin };
  return { net, origin: Object.keys(record).length ? { file: resolve(path), ...record } : undefined };
}

/** RUN/classes.json: the class folders of the data a model is trained on, which export carries into the model. */
function recordClassNames(data: string, out: string): void {
  const ds = openDataset(join(data, 'train'));
  try {
    mkdirSync(out, { recursive: true });
    writeFileAtomic(join(out, CLASSES_FILE), JSON.stringify(ds.classes) + '\n');
  } finally {
    ds.close();
  }
}

/** A trained model (retrain run or exported directory) on DATA/test: accuracy, loss, speed and latency. */
export async function validateModel(o: {
  run: string; data: string; weights?: string; table?: string; batch?: number; runs?: number; adapter?: string;
  /** Given the number of test batches, a progress bar for them. */
  onLoader?: (batches: number) => PhaseBar | undefined;
}): Promise<Validation & { arch: NetConfig; device: string }> {
  const table = o.table ? readCostTable(o.table) : undefined;
  const rt = await openEngine(o);
  const t = openTrained(o.run, o.weights);
  const loader = testLoader(t.cfg, o.data, o.batch ?? t.cfg.data.batch_size);
  const r = await validate(t, loader, { table, runs: o.runs ?? 40, bar: o.onLoader?.(loader.batches) });
  return { ...r, arch: t.net, device: rt.device.info.description };
}

export interface ExportResult {
  out: string;
  /** OUT/model.onnx when the format is onnx. */
  onnx?: OnnxExport;
  weights: string;
  files: string[];
  /** Largest |folded - unfolded| of the logits on a random batch, and the largest |logit|. */
  maxDiff: number;
  maxLogit: number;
  /** The folded network with its weights (the caller disposes it, or ends the engine). */
  model: FoldedNet;
}

/**
 * A retrain run's model with batch norm folded into the convolutions, as OUT/model.safetensors
 * and OUT/net_config.json (with the class names the run recorded), the run's cost table, and
 * OUT/model.onnx for the onnx format; checked against the unfolded model.
 */
export async function exportModel(o: { run: string; out: string; weights?: string; format?: 'safetensors' | 'onnx'; adapter?: string }):
    Promise<ExportResult> {
  if (isFoldedDir(o.run)) throw new Error(`${o.run} is already an exported (folded) model`);
  // Writing into a run would replace its net_config.json with the folded form that retrain, validate and plot cannot use.
  if (resolve(o.out) === resolve(o.run)) throw new Error(`--out ${o.out} is the run directory itself: export into a folder of its own`);
  if (existsSync(join(o.out, 'config.yaml')) && existsSync(join(o.out, 'net_config.json')) && !isFoldedDir(o.out)) {
    throw new Error(`--out ${o.out} holds a run (config.yaml, net_config.json): export into a folder of its own`);
  }
  await openEngine(o);
  const t = openTrained(o.run, o.weights);
  const tableFile = join(o.run, 'cost_table.json');
  const table = existsSync(tableFile) ? tableFile : undefined;
  const model = t.model as DerivedNet;
  const eps = derivedBn(t.net, t.cfg.optim.bn_eps, t.cfg.optim.bn_momentum).eps;
  const folded = await exportFolded(model.eval(), t.cfg, eps, o.out, table);
  const namesFile = join(o.run, CLASSES_FILE), metaFile = join(o.out, 'net_config.json');
  const meta = JSON.parse(readText(metaFile, 'net_config')) as FoldedMeta & { class_names?: string[] };
  if (existsSync(namesFile)) {
    meta.class_names = JSON.parse(readText(namesFile, 'class names'));
    writeFileAtomic(metaFile, JSON.stringify(meta) + '\n');
  }
  const onnx = o.format === 'onnx'
    ? await writeOnnx(join(o.out, 'model.onnx'), folded, meta, { class_names: JSON.stringify(classNames(meta)) })
    : undefined;
  // The folded model must give the unfolded eval-mode logits: checked on a random batch.
  const [c, size] = t.cfg.data.input_size;
  const x = Tensor.randn([8, size, size, c], new Random(1));
  const [ref, got] = await Promise.all([model, folded].map((m) => noGrad(() => tidy(() => m.forward(x))).toArray()));
  x.dispose();
  const files = ['model.safetensors', 'net_config.json', ...(table ? ['cost_table.json'] : []), ...(onnx ? ['model.onnx'] : [])];
  const maxLogit = Math.max(...ref.map(Math.abs)), maxDiff = Math.max(...ref.map((v, i) => Math.abs(v - got[i])));
  return { out: o.out, onnx, weights: t.weights, files, maxDiff, maxLogit, model: folded };
}

export interface LatencyTableOptions {
  /** Table file (JSON); an existing one is resumed. */
  out: string;
  /** Batch the ops are timed at. */
  batch?: number;
  /** Timed runs per op (the fastest is kept), untimed runs first, applications per timed run. */
  runs?: number;
  warmup?: number;
  repeat?: number;
  /** Random whole networks of the space timed to scale the table (0: none). */
  calibrate?: number;
  reporter?: StepReporter;
  adapter?: string;
}

/** Measures every distinct op of a config's space on this adapter into a keyed latency table (resumable). */
export async function buildLatencyTable(cfg: Config, o: LatencyTableOptions): Promise<CostTable> {
  const batch = o.batch ?? 32, runs = o.runs ?? 20, calibrate = o.calibrate ?? 8;
  const space = buildSpace(cfg), descs = spaceOpDescs(space, batch), reporter = o.reporter ?? silentReporter;
  const rt = await openEngine(o);
  const bar = reporter.phase(`lut ${o.out}`, descs.length, 0);
  const bn = { eps: space.netType === 'mbv2' ? cfg.optim.bn_eps : 1e-5, momentum: cfg.optim.bn_momentum };
  const table = await buildCostTable(descs, async (d) => {
    const t = await measureOp(d, { runs, warmup: o.warmup ?? 3, repeat: o.repeat ?? 4, bn });
    return { value: t.min, spread: t.spread };
  }, {
    path: o.out, kind: 'latency', units: 'ms', device: rt.device.info.description, batch,
    onProgress: (done) => bar.update(done),
  });
  bar.done();
  if (calibrate > 0 && !table.calibration) {
    const cal = reporter.phase('calibrate', calibrate, 0);
    table.calibration = await calibrateTable(table, space, cfg, { networks: calibrate, runs, onProgress: (n) => cal.update(n) });
    cal.done();
    writeCostTable(o.out, table);
  }
  return table;
}

export { destroy };
