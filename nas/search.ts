// The DenseNAS search loop (spec 4): per epoch an architecture pass over the search-validation
// split (from arch_update_epoch), a weight pass over the search-train split, supernet
// validation (from val_start_epoch) and derivation, with everything a run needs to be
// inspected and resumed exactly: metrics.jsonl, arch.jsonl, net_config(.json) every epoch with
// best/ copies, and a checkpoint at every epoch end and on SIGINT/SIGTERM.
import { readFileSync } from 'node:fs';
import type { HostTensor } from '../engine/checkpoint.js';
import { mixSeed, Random } from '../engine/random.js';
import { archParamsToJson, type ArchParams } from './arch_params.js';
import { choiceOpEntropyShare, meanOpEntropy, opEntropy, uniformOpEntropy } from './entropy.js';
import { summarizeArch } from './arch_summary.js';
import { configToYaml, type Config } from './config.js';
import { chainedCost, type ResolvedCosts } from './cost_chain.js';
import { writeCostTable, type CostTable } from './cost_table.js';
import { deriveForTarget, derivedRecord, targetBand, type Derived } from './derive.js';
import { writeFileAtomic } from './io.js';
import { addToMeter, isMeter, meterMeans, newMeter, type Meter } from './metrics.js';
import { writeNetConfigPair } from './net_config.js';
import { checkStateField, fingerprintOf, isCount, ResumableRun } from './resumable_run.js';
import { CosineSchedule } from './schedule.js';
import { searchLoaders, type SearchData } from './search_data.js';
import type { SearchSpace } from './space.js';
import { PHASES, SearchModel, type Phase } from './search_step.js';
import { writeRunPlots } from './plots/index.js';
import { restoreTraining, trainingState } from './training.js';
import type { StepReporter } from './progress.js';

const LOGS = ['metrics.jsonl', 'arch.jsonl'];

/** Where a run stands: the next batch of a phase of an epoch. */
export interface Position { epoch: number; phase: Phase; batch: number }

export interface SearchOptions {
  cfg: Config;
  space: SearchSpace;
  /** The cost table the search optimises (latency or FLOPs), resolved to the space. */
  costs: ResolvedCosts;
  table: CostTable;
  data: string;
  out: string;
  resume?: boolean;
  reporter: StepReporter;
}

interface SearchState {
  pos: Position;
  schedulerStep: number;
  meters: Record<Phase, Meter>;
  best: { epoch: number; top1: number } | null;
}

export interface SearchResult {
  epochs: number; net: Derived['net']; summary: ReturnType<typeof summarizeArch>; interrupted: boolean;
  /** Mean op entropy of the final architecture parameters and of uniform weights; archShare: that of the derived architecture's rows, as a share of uniform (nas/entropy.ts). */
  entropy: { final: number; uniform: number; archShare: number };
}

const phaseRuns = (cfg: Config, epoch: number, phase: Phase) =>
  phase === 'weight' || (phase === 'arch' && epoch >= cfg.search_params.arch_update_epoch)
  || (phase === 'valid' && epoch >= cfg.search_params.val_start_epoch);

function hostArch(prefix: string, p: ArchParams): Record<string, HostTensor> {
  const out: Record<string, HostTensor> = {};
  for (const kind of ['betas', 'head', 'stack'] as const) p[kind].forEach((x, i) => { out[`${prefix}.${kind}.${i}`] = { shape: [x.length], data: x }; });
  return out;
}

function readArch(path: string, tensors: Record<string, HostTensor>, prefix: string, into: ArchParams): void {
  for (const kind of ['betas', 'head', 'stack'] as const) into[kind].forEach((x, i) => {
    const e = tensors[`${prefix}.${kind}.${i}`];
    if (!e || e.data.length !== x.length) throw new Error(`${path}: missing or mis-sized ${prefix}.${kind}.${i} (a checkpoint of another space?)`);
    x.set(e.data);
  });
}

/** Checks a resumed search state field by field, so that a damaged checkpoint is named, not followed. */
function checkSearchState(path: string, st: SearchState, batches: Record<Phase, number>): SearchState {
  const f = (name: string, v: unknown, ok: boolean) => checkStateField(path, name, v, ok);
  f('search', st, st !== null && typeof st === 'object');
  f('pos', st.pos, st.pos !== null && typeof st.pos === 'object');
  f('pos.epoch', st.pos.epoch, isCount(st.pos.epoch));
  f('pos.phase', st.pos.phase, PHASES.includes(st.pos.phase));
  f('pos.batch', st.pos.batch, isCount(st.pos.batch) && st.pos.batch <= batches[st.pos.phase]);
  f('schedulerStep', st.schedulerStep, isCount(st.schedulerStep));
  for (const p of PHASES) f(`meters.${p}`, st.meters?.[p], isMeter(st.meters?.[p]));
  f('best', st.best, st.best === null || (isCount(st.best?.epoch) && Number.isFinite(st.best?.top1)));
  return st;
}

export async function runSearch(o: SearchOptions): Promise<SearchResult> {
  const { cfg, space, costs, table, reporter } = o;
  const sp = cfg.search_params, T = sp.softmax_temp, seed = cfg.train_params.seed;
  const band = cfg.optim.if_sub_obj ? targetBand(cfg.optim.sub_obj) : undefined;
  const data: SearchData = searchLoaders(cfg, o.data);
  const run = ResumableRun.open<{ search: SearchState; sgd: unknown; adamStep: number }>({
    out: o.out, resume: !!o.resume, kind: 'search', logs: LOGS, results: ['best'], reporter,
    fingerprint: fingerprintOf(cfg, { images: data.identity }, table),
  });
  const model = new SearchModel(cfg, space, costs, new Random(seed));
  try {
    return await searchLoop(o, run, data, model, band, T, seed);
  } finally {
    run.close();
    model.net.dispose();
  }
}

async function searchLoop(o: SearchOptions, run: ResumableRun<{ search: SearchState; sgd: unknown; adamStep: number }>, data: SearchData,
  model: SearchModel, band: ReturnType<typeof targetBand> | undefined, T: number, seed: number): Promise<SearchResult> {
  const { cfg, space, costs, table, reporter } = o;
  const sp = cfg.search_params, dir = run.dir;
  const { net, params, sgd, adam } = model;
  writeFileAtomic(dir.path('config.yaml'), configToYaml(cfg));
  writeCostTable(dir.path('cost_table.json'), table);
  const schedule = new CosineSchedule(cfg.optim.weight.init_lr, cfg.optim.min_lr, data.train.length, cfg.data.batch_size, cfg.train_params.epochs);

  let st: SearchState = {
    pos: { epoch: 0, phase: 'arch', batch: 0 },
    schedulerStep: 0,
    meters: { arch: newMeter(), weight: newMeter(), valid: newMeter() },
    best: null,
  };
  const ckptPath = run.checkpoint;
  if (run.resumed) {
    const { tensors, state } = run.resumed;
    st = checkSearchState(ckptPath, state.search, { arch: data.val.batches, weight: data.train.batches, valid: data.val.batches });
    restoreTraining(ckptPath, tensors, state.sgd, net, sgd);
    readArch(ckptPath, tensors, 'arch', params);
    readArch(ckptPath, tensors, 'adam_m', adam.m);
    readArch(ckptPath, tensors, 'adam_v', adam.v);
    checkStateField(ckptPath, 'adamStep', state.adamStep, isCount(state.adamStep));
    adam.step = state.adamStep;
    reporter.line(`resuming ${o.out} at epoch ${st.pos.epoch}, ${st.pos.phase} batch ${st.pos.batch}`);
  }

  const save = async () => {
    const t = trainingState(net, sgd);
    await run.save({
      gpu: t.gpu,
      host: { ...hostArch('arch', params), ...hostArch('adam_m', adam.m), ...hostArch('adam_v', adam.v) },
      state: { search: st, sgd: t.sgd, adamStep: adam.step },
    });
  };

  const stepRng = (epoch: number, phase: Phase, batch: number) => new Random(mixSeed(seed, epoch, PHASES.indexOf(phase), batch));

  const epochs = cfg.train_params.epochs;
  while (st.pos.epoch < epochs) {
    const e = st.pos.epoch;
    for (const phase of PHASES.slice(PHASES.indexOf(st.pos.phase))) {
      if (st.pos.phase !== phase) st.pos = { epoch: e, phase, batch: 0 };
      if (!phaseRuns(cfg, e, phase)) continue;
      const loader = phase === 'weight' ? data.train : data.val;
      const bar = reporter.phase(`epoch ${e} ${phase}`, loader.batches, st.pos.batch);
      const t0 = Date.now();
      for await (const b of loader.epoch(e, st.pos.batch)) {
        if (phase === 'weight') sgd.lr = schedule.lr(++st.schedulerStep);
        const r = await model.step(phase, b, model.policy(phase, e), stepRng(e, phase, st.pos.batch));
        run.checkFinite('loss', r.loss, { epoch: e, phase, batch: st.pos.batch });
        run.checkFinite(`${table.kind} cost`, r.cost, { epoch: e, phase, batch: st.pos.batch });
        addToMeter(st.meters[phase], b.n, r.loss, r.acc, r.cost);
        st.pos.batch++;
        const m = meterMeans(st.meters[phase]);
        bar.update(st.pos.batch, { loss: m.loss, top1: m.top1, images: b.n });
        if (st.pos.batch % sp.log_every === 0 || st.pos.batch === loader.batches) {
          dir.log('metrics.jsonl', {
            kind: 'step', epoch: e, phase, step: st.pos.batch, loss: r.loss, top1: (100 * r.acc.top1) / b.n, top5: (100 * r.acc.top5) / b.n,
            cost: r.cost, lr: phase === 'weight' ? sgd.lr : phase === 'arch' ? cfg.optim.arch.alpha_lr : 0,
          });
        }
        if (run.stop.signal) {
          await save();
          bar.done();
          reporter.line(`checkpoint saved at epoch ${e}, ${phase} batch ${st.pos.batch}: resume with --resume`);
          return { epochs: e, ...derivation(), interrupted: true };
        }
      }
      bar.done();
      const m = meterMeans(st.meters[phase]);
      dir.log('metrics.jsonl', { kind: 'phase', epoch: e, phase, ...m, seconds: (Date.now() - t0) / 1000 });
      reporter.line(`epoch ${e} ${phase}: loss ${m.loss.toFixed(4)} top1 ${m.top1.toFixed(2)} top5 ${m.top5.toFixed(2)} ${table.kind} ${m.cost.toFixed(3)}`);
      if (phase === 'valid' && (!st.best || m.top1 > st.best.top1)) st.best = { epoch: e, top1: m.top1 };
    }
    // Derivation and the end-of-epoch records.
    const entropy = opEntropy(space, params);
    const d = derivation(entropy);
    const full = chainedCost(space, costs, params, { temperature: T, expectOver: 'all' });
    const record = {
      epoch: e, ...derivedRecord(space, d, d.summary, table.units), expected_cost: full.cost,
      mean_op_entropy: d.entropy.final, arch_op_entropy_share: d.entropy.archShare,
      valid_top1: phaseRuns(cfg, e, 'valid') ? meterMeans(st.meters.valid).top1 : null,
    };
    dir.log('metrics.jsonl', { kind: 'epoch', ...record });
    dir.log('arch.jsonl', { epoch: e, ...JSON.parse(archParamsToJson(space, params)), softmax_temp: 1, op_entropy: entropy });
    writeNetConfigPair(o.out, d.net, record);
    // best/: the epoch of best supernet validation top-1; before validation starts, the latest.
    if (!phaseRuns(cfg, e, 'valid') || st.best?.epoch === e) {
      for (const f of ['net_config.json', 'net_config']) writeFileAtomic(dir.path(`best/${f}`), readFileSync(dir.path(f)));
    }
    const counts = `${record.layers} layers, ${(record.params / 1e6).toFixed(3)} M params, ${(record.madds / 1e6).toFixed(2)} M madds`;
    const tableCost = `${table.kind} ${record.table_cost?.toFixed(3) ?? 'n/a'} ${table.units}`;
    reporter.line(`epoch ${e}: derived ${record.arch} (${counts}, ${tableCost}); expected ${full.cost.toFixed(3)}`);
    if (d.method === 'in_band') {
      const range = `${band!.target} ${table.units} [${band!.lo.toFixed(3)}, ${band!.hi.toFixed(3)}]`;
      reporter.line(`epoch ${e}: the most probable architecture ${d.inBand ? 'within' : 'nearest'} the target ${range} replaced the Viterbi one `
        + `(${d.viterbiCost!.toFixed(3)} ${table.units})${d.inBand ? '' : ': no architecture of the space is within it'}`);
    }
    st.pos = { epoch: e + 1, phase: 'arch', batch: 0 };
    st.meters = { arch: newMeter(), weight: newMeter(), valid: newMeter() };
    await save();
    // Plots are for people: a failure to draw them never stops the search.
    await writeRunPlots(o.out).catch((err) => reporter.line(`plots: ${(err as Error).message}`));
  }
  return { epochs, ...derivation(), interrupted: false };

  /** The derived architecture and how sure the weights are; `blocks`: their per-block op entropy, when already computed. */
  function derivation(blocks = opEntropy(space, params)) {
    const d = deriveForTarget(space, params, costs, band);
    return { ...d, summary: summarizeArch(d.net, cfg, table), entropy: { final: meanOpEntropy(space, params, blocks), uniform: uniformOpEntropy(space), archShare: choiceOpEntropyShare(space, params, d.choice) } };
  }
}
