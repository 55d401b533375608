// Validation (spec 6.2): a trained model, from a retrain run directory (its best weights, or a
// weights file) or from an exported folded model, evaluated on DIR/test in eval mode with the
// evaluation transform, plus its size, multiply-adds, latency measured on this adapter and the
// latency a cost table predicts for it.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { assignTensors, readSafetensors, type HostTensor } from '../engine/checkpoint.js';
import type { Module } from '../engine/nn/module.js';
import { crossEntropy } from '../engine/ops/loss.js';
import { Random } from '../engine/random.js';
import { noGradAsync, Tensor, tidyAsync } from '../engine/tensor.js';
import type { Timing } from '../engine/timing.js';
import { summarizeArch, type ArchSummary } from './arch_summary.js';
import { loadConfig, type Config } from './config.js';
import { readCostTable, type CostTable } from './cost_table.js';
import { foldedConfig, isFoldedDir, loadFolded } from './export.js';
import { timeForward } from './latency.js';
import { addToMeter, meterMeans, newMeter, topk } from './metrics.js';
import { readNetConfig, type NetConfig } from './net_config.js';
import type { PhaseBar } from './progress.js';
import { derivedFor } from './derived.js';
import { augmentConfigs } from './search_data.js';
import { upload } from './training.js';
import { openDataset } from './data/dataset.js';
import { mustExist } from './data/files.js';
import { Loader } from './data/loader.js';

/** Where a retrain run keeps the weights of its best epoch. */
export const BEST_WEIGHTS = 'best/model.safetensors';

/** The test images of a data directory (DIR/test), in order, with the evaluation transform. */
export function testLoader(cfg: Config, dir: string, batchSize: number): Loader {
  mustExist(dir, 'data directory');
  const path = join(dir, 'test');
  mustExist(path, 'test images');
  const ds = openDataset(path);
  if (ds.classes.length > cfg.train_params.num_classes) throw new Error(`${ds.source} has ${ds.classes.length} classes but the model has ${cfg.train_params.num_classes} outputs`);
  return new Loader(ds, { batchSize, augment: augmentConfigs(cfg).eval, seed: cfg.train_params.seed, shuffle: false });
}

export interface Evaluation { images: number; loss: number; top1: number; top5: number; seconds: number; imagesPerS: number }

/** Loss (plain cross-entropy), top-1 and top-5 (%) over one pass of `loader`, in eval mode. */
export async function evaluate(model: Module, loader: Loader, classes: number, bar?: PhaseBar): Promise<Evaluation> {
  model.eval();
  return evaluateForward((x) => model.forward(x), loader, classes, bar);
}

/** The same for any forward pass, in whatever mode its modules are. */
export async function evaluateForward(forward: (x: Tensor) => Tensor, loader: Loader, classes: number, bar?: PhaseBar): Promise<Evaluation> {
  const m = newMeter(), t0 = performance.now();
  for await (const b of loader.epoch(0)) {
    const r = await noGradAsync(() => tidyAsync(async () => {
      const { x, y } = upload(b);
      const logits = forward(x);
      return { loss: await crossEntropy(logits, y).item(), logits: await logits.toArray() };
    }));
    addToMeter(m, b.n, r.loss, topk(r.logits, b.y, classes));
    const means = meterMeans(m);
    bar?.update(m.steps, { loss: means.loss, top1: means.top1, images: b.n });
  }
  bar?.done();
  const seconds = (performance.now() - t0) / 1000, means = meterMeans(m);
  return { images: m.n, loss: means.loss, top1: means.top1, top5: means.top5, seconds, imagesPerS: m.n / seconds };
}

/** A trained model ready to evaluate: what it is, the config that shapes it, its weights loaded. */
export interface Trained {
  source: string;
  folded: boolean;
  net: NetConfig;
  cfg: Config;
  model: Module;
  /** The cost table kept with the run or export, if any. */
  table?: CostTable;
  weights: string;
}

/** Weights by model name from a weights file (best/model.safetensors) or a retrain checkpoint (`model.` entries). */
function modelTensors(path: string): Record<string, HostTensor> {
  const { tensors, metadata } = readSafetensors(path);
  if (typeof metadata.state !== 'string') return tensors;
  return Object.fromEntries(Object.entries(tensors).filter(([k]) => k.startsWith('model.')).map(([k, t]) => [k.slice(6), t]));
}

/** Opens a retrain run directory (best weights, or `weights`) or an exported model directory. */
export function openTrained(dir: string, weights?: string): Trained {
  mustExist(dir, 'run directory');
  const tablePath = join(dir, 'cost_table.json');
  const table = existsSync(tablePath) ? readCostTable(tablePath) : undefined;
  if (isFoldedDir(dir)) {
    const f = loadFolded(dir, weights);
    return { source: dir, folded: true, net: f.net, cfg: foldedConfig(f.meta), model: f.model, table, weights: f.weights };
  }
  for (const f of ['config.yaml', 'net_config.json']) {
    if (!existsSync(join(dir, f))) throw new Error(`${dir} is not a retrain run or an exported model: it has no ${f}`);
  }
  const path = weights ?? join(dir, BEST_WEIGHTS);
  if (!existsSync(path)) throw new Error(weights ? `weights file ${path} does not exist` : `${dir} has no trained weights (${BEST_WEIGHTS} is written after the first epoch): retrain it, or pass --weights FILE`);
  const cfg = loadConfig([join(dir, 'config.yaml')]), net = readNetConfig(join(dir, 'net_config.json'));
  const model = derivedFor(net, cfg, new Random(0));
  try {
    assignTensors(path, modelTensors(path), model.stateDict(), true);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return { source: dir, folded: false, net, cfg, model, table, weights: path };
}

export interface Validation {
  source: string; folded: boolean; weights: string; images: number;
  top1: number; top5: number; loss: number; images_per_s: number;
  params: number; madds: number;
  latency: { batch: number; min_ms: number; median_ms: number; spread_ms: number; timer: Timing['timer']; predicted_ms: number | null; table_device: string | null };
}

/** Evaluates `t` on the loader, counts it and times its forward pass at the table's batch (else 32). */
export async function validate(t: Trained, loader: Loader, o: { table?: CostTable; runs: number; bar?: PhaseBar }): Promise<Validation> {
  const table = o.table ?? t.table;
  const ev = await evaluate(t.model, loader, t.cfg.train_params.num_classes, o.bar);
  const s: ArchSummary = summarizeArch(t.net, t.cfg, table);
  if (table && s.missing.length) throw new Error(`the cost table (${table.device}) lacks ${s.missing.length} op(s) of this architecture (built for another space or input size?):\n  ${s.missing.join('\n  ')}`);
  const batch = table?.batch ?? 32, [c, size] = t.cfg.data.input_size;
  const x = Tensor.randn([batch, size, size, c], new Random(0));
  const timing = await timeForward(() => t.model.forward(x), o.runs, 3);
  x.dispose();
  return {
    source: t.source, folded: t.folded, weights: t.weights, images: ev.images,
    top1: ev.top1, top5: ev.top5, loss: ev.loss, images_per_s: ev.imagesPerS,
    params: s.params, madds: s.madds,
    latency: { batch, min_ms: timing.min, median_ms: timing.median, spread_ms: timing.spread, timer: timing.timer, predicted_ms: s.cost, table_device: table?.device ?? null },
  };
}
