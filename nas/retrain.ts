// Retraining a derived architecture (spec 6.1): SGD with the per-step cosine schedule (the first
// step uses step 0, spec 4.3), label smoothing and the training augmentation on DIR/train less a
// held-out validation split (train_params.val_fraction of each class, seeded), and after every
// epoch an evaluation on that split, which chooses the best epoch, and on DIR/test, which is only
// reported: the test images never choose anything. The run directory holds config.yaml,
// net_config(.json), metrics.jsonl (a `final` line at the end: the chosen epoch's test accuracy),
// best/ (the weights of the best validation top-1 and their net_config), plots/ (the training
// curves, redrawn every epoch) and checkpoint.safetensors, the last checkpoint (every epoch end
// and on SIGINT/SIGTERM), from which --resume continues exactly.
import { loadTensors, saveTensors } from '../engine/checkpoint.js';
import { crossEntropy } from '../engine/ops/loss.js';
import { SGD } from '../engine/optim/sgd.js';
import { Random } from '../engine/random.js';
import { tidyAsync } from '../engine/tensor.js';
import { summarizeArch } from './arch_summary.js';
import { configToYaml, type Config } from './config.js';
import { writeCostTable, type CostTable } from './cost_table.js';
import { subsetDataset } from './data/dataset.js';
import { derivedFor, type DerivedNet } from './derived.js';
import { makeDir, writeFileAtomic } from './io.js';
import { addToMeter, isMeter, meterMeans, newMeter, topk, type Meter } from './metrics.js';
import { formatArch, netConfigToJson, netConfigToText, type NetConfig } from './net_config.js';
import type { StepReporter } from './progress.js';
import { writeRunPlots } from './plots/index.js';
import { checkStateField, dataIdentity, fingerprintOf, isCount, ResumableRun } from './resumable_run.js';
import { CosineSchedule } from './schedule.js';
import { augmentConfigs, openTrainImages, splitTrainImages } from './search_data.js';
import { restoreTraining, trainingState, upload } from './training.js';
import { BEST_WEIGHTS, evaluate, testLoader } from './validate.js';
import { Loader, type Batch } from './data/loader.js';

const LOGS = ['metrics.jsonl'];

export interface RetrainOptions {
  cfg: Config;
  net: NetConfig;
  data: string;
  out: string;
  resume?: boolean;
  /** A cost table kept with the run: validate measures latency at its batch and reports its prediction. */
  table?: CostTable;
  /** Where the architecture came from (the record of a search's, derive's or sample's net_config.json), kept in RUN/net_config.json. */
  origin?: Record<string, unknown>;
  reporter: StepReporter;
}

interface RetrainState {
  /** The next training batch. */
  pos: { epoch: number; batch: number };
  schedulerStep: number;
  /** Sums of the current epoch's training steps. */
  meter: Meter;
  /** The epoch of best validation top-1, with its test accuracy (reported, never compared). */
  /** The epoch of best validation top-1; its test accuracy once measured (every epoch, or at the end). */
  best: { epoch: number; val_top1: number; test_top1?: number; test_top5?: number } | null;
}

export interface RetrainResult { epochs: number; best: RetrainState['best']; interrupted: boolean }

function checkRetrainState(path: string, st: RetrainState, batches: number): RetrainState {
  const f = (name: string, v: unknown, ok: boolean) => checkStateField(path, name, v, ok);
  f('retrain', st, st !== null && typeof st === 'object');
  f('pos', st.pos, st.pos !== null && typeof st.pos === 'object');
  f('pos.epoch', st.pos.epoch, isCount(st.pos.epoch));
  f('pos.batch', st.pos.batch, isCount(st.pos.batch) && st.pos.batch <= batches);
  f('schedulerStep', st.schedulerStep, isCount(st.schedulerStep));
  f('meter', st.meter, isMeter(st.meter));
  const b = st.best;
  const testOk = (x: typeof b) => (x!.test_top1 === undefined && x!.test_top5 === undefined) || [x!.test_top1, x!.test_top5].every(Number.isFinite);
  f('best', b, b === null || (typeof b === 'object' && isCount(b.epoch) && Number.isFinite(b.val_top1) && testOk(b)));
  return st;
}

/** One training step of the retrain loop on batch `b`: its loss and top-k hits. */
export async function retrainStep(model: DerivedNet, sgd: SGD, b: Batch, labelSmoothing: number, classes: number) {
  const r = await tidyAsync(async () => {
    const { x, y } = upload(b);
    const logits = model.forward(x);
    const loss = crossEntropy(logits, y, { labelSmoothing });
    loss.backward();
    sgd.step();
    return { loss: await loss.item(), logits: await logits.toArray() };
  });
  sgd.zeroGrad();
  return { loss: r.loss, acc: topk(r.logits, b.y, classes) };
}

export async function runRetrain(o: RetrainOptions): Promise<RetrainResult> {
  const { cfg, net, reporter } = o;
  const classes = cfg.train_params.num_classes, seed = cfg.train_params.seed;
  const images = openTrainImages(o.data);
  if (images.classes.length > classes) throw new Error(`${images.source} has ${images.classes.length} classes but train_params.num_classes is ${classes}`);
  const split = splitTrainImages(cfg, images, cfg.train_params.val_fraction, 'train_params.val_fraction');
  const aug = augmentConfigs(cfg), batchSize = cfg.data.batch_size;
  const train = new Loader(subsetDataset(images, split.train), { batchSize, augment: aug.train, seed });
  const val = new Loader(subsetDataset(images, split.val), { batchSize, augment: aug.eval, seed, shuffle: false });
  const test = testLoader(cfg, o.data, batchSize);
  const run = ResumableRun.open<{ retrain: RetrainState; sgd: unknown }>({
    out: o.out, resume: !!o.resume, kind: 'retrain', logs: LOGS, results: ['best'], reporter,
    fingerprint: fingerprintOf(cfg, { train: dataIdentity(images), test: dataIdentity(test.dataset) }, o.table ?? null, { net_config: netConfigToJson(net) }),
  });
  const model = derivedFor(net, cfg, new Random(seed));
  try {
    return await retrainLoop(o, run, model, { train, val, test });
  } finally {
    run.close();
    model.dispose();
  }
}

async function retrainLoop(o: RetrainOptions, run: ResumableRun<{ retrain: RetrainState; sgd: unknown }>, model: ReturnType<typeof derivedFor>,
  { train, val, test }: { train: Loader; val: Loader; test: Loader }): Promise<RetrainResult> {
  const { cfg, net, reporter } = o, dir = run.dir;
  const classes = cfg.train_params.num_classes;
  writeFileAtomic(dir.path('config.yaml'), configToYaml(cfg));
  writeFileAtomic(dir.path('net_config.json'), JSON.stringify({ ...JSON.parse(netConfigToJson(net)), ...(o.origin ? { origin: o.origin } : {}) }) + '\n');
  writeFileAtomic(dir.path('net_config'), netConfigToText(net));
  if (o.table) writeCostTable(dir.path('cost_table.json'), o.table);

  const sgd = new SGD(model.parameters(), { lr: cfg.optim.init_lr, momentum: cfg.optim.momentum, weightDecay: cfg.optim.weight_decay, nesterov: cfg.optim.nesterov });
  const schedule = new CosineSchedule(cfg.optim.init_lr, cfg.optim.min_lr, train.length, cfg.data.batch_size, cfg.train_params.epochs);
  const labelSmoothing = cfg.optim.label_smooth ? cfg.optim.smooth_alpha : 0;

  let st: RetrainState = { pos: { epoch: 0, batch: 0 }, schedulerStep: 0, meter: newMeter(), best: null };
  const ckptPath = run.checkpoint;
  if (run.resumed) {
    const { tensors, state } = run.resumed;
    st = checkRetrainState(ckptPath, state.retrain, train.batches);
    restoreTraining(ckptPath, tensors, state.sgd, model, sgd);
    reporter.line(`resuming ${o.out} at epoch ${st.pos.epoch}, batch ${st.pos.batch}`);
  } else {
    const s = summarizeArch(net, cfg, o.table);
    reporter.line(`retrain ${formatArch(net)}: ${(s.params / 1e6).toFixed(3)} M params, ${(s.madds / 1e6).toFixed(2)} M multiply-adds, ${train.length} training images, ${val.length} validation images (held out to choose the best epoch), ${test.length} test images`);
  }

  const save = async () => {
    const t = trainingState(model, sgd);
    await run.save({ gpu: t.gpu, host: {}, state: { retrain: st, sgd: t.sgd } });
  };

  const writeBest = (b: NonNullable<RetrainState['best']>) =>
    writeFileAtomic(dir.path('best/net_config.json'), JSON.stringify({ ...JSON.parse(netConfigToJson(net)), ...b }) + '\n');

  const step = async (b: Batch) => {
    sgd.lr = schedule.lr(st.schedulerStep++);
    return retrainStep(model, sgd, b, labelSmoothing, classes);
  };

  while (st.pos.epoch < cfg.train_params.epochs) {
    const e = st.pos.epoch, t0 = performance.now();
    let seen = 0;   // images trained by this process this epoch (a resumed epoch starts midway)
    model.train();
    const bar = reporter.phase(`epoch ${e} train`, train.batches, st.pos.batch);
    for await (const b of train.epoch(e, st.pos.batch)) {
      const r = await step(b);
      run.checkFinite('training loss', r.loss, { epoch: e, phase: 'train', batch: st.pos.batch });
      addToMeter(st.meter, b.n, r.loss, r.acc);
      seen += b.n;
      st.pos.batch++;
      const m = meterMeans(st.meter);
      bar.update(st.pos.batch, { loss: m.loss, top1: m.top1, images: b.n });
      if (st.pos.batch % cfg.search_params.log_every === 0 || st.pos.batch === train.batches) {
        dir.log('metrics.jsonl', { kind: 'step', epoch: e, step: st.pos.batch, loss: r.loss, top1: (100 * r.acc.top1) / b.n, lr: sgd.lr });
      }
      if (run.stop.signal) {
        await save();
        bar.done();
        reporter.line(`checkpoint saved at epoch ${e}, batch ${st.pos.batch}: resume with --resume`);
        return { epochs: e, best: st.best, interrupted: true };
      }
    }
    bar.done();
    const trainSeconds = (performance.now() - t0) / 1000;
    const trained = meterMeans(st.meter);
    const ev = await evaluate(model, val, classes, reporter.phase(`epoch ${e} validation`, val.batches, 0));
    run.checkFinite('validation loss', ev.loss, { epoch: e, phase: 'validation', batch: val.batches });
    const te = cfg.train_params.test_every_epoch ? await evaluate(model, test, classes, reporter.phase(`epoch ${e} test`, test.batches, 0)) : null;
    const record = {
      kind: 'epoch', epoch: e, lr: sgd.lr,
      train_loss: trained.loss, train_top1: trained.top1, train_top5: trained.top5,
      val_loss: ev.loss, val_top1: ev.top1, val_top5: ev.top5,
      ...(te ? { test_loss: te.loss, test_top1: te.top1, test_top5: te.top5, test_images_per_s: te.imagesPerS } : {}),
      images_per_s: seen / trainSeconds, seconds: trainSeconds + ev.seconds + (te?.seconds ?? 0),
    };
    dir.log('metrics.jsonl', record);
    const isBest = !st.best || ev.top1 > st.best.val_top1;
    if (isBest) {
      st.best = { epoch: e, val_top1: ev.top1, ...(te ? { test_top1: te.top1, test_top5: te.top5 } : {}) };
      makeDir(dir.path('best'));
      await saveTensors(dir.path(BEST_WEIGHTS), model.stateDict(), { epoch: String(e), val_top1: String(ev.top1), ...(te ? { test_top1: String(te.top1) } : {}) });
      writeBest(st.best);
    }
    reporter.line(`epoch ${e}: train loss ${trained.loss.toFixed(4)} top1 ${trained.top1.toFixed(2)}, validation loss ${ev.loss.toFixed(4)} top1 ${ev.top1.toFixed(2)}${isBest ? ' (best)' : ''}, ${record.images_per_s.toFixed(0)} img/s`);
    st.pos = { epoch: e + 1, batch: 0 };
    st.meter = newMeter();
    if (st.pos.epoch === cfg.train_params.epochs && st.best) {
      if (st.best.test_top1 === undefined) {
        // the test images, once, on the chosen epoch's weights
        const chosen = derivedFor(net, cfg, new Random(0));
        try {
          loadTensors(dir.path(BEST_WEIGHTS), chosen.stateDict());
          const t = await evaluate(chosen, test, classes, reporter.phase(`test (epoch ${st.best.epoch})`, test.batches, 0));
          st.best = { ...st.best, test_top1: t.top1, test_top5: t.top5 };
        } finally {
          chosen.dispose();
        }
        writeBest(st.best);
      }
      dir.log('metrics.jsonl', { kind: 'final', ...st.best });
    }
    await save();
    await writeRunPlots(o.out).catch((err) => reporter.line(`plots: ${(err as Error).message}`));
    if (run.stop.signal) {
      reporter.line(`checkpoint saved at the end of epoch ${e}: resume with --resume`);
      return { epochs: e + 1, best: st.best, interrupted: true };
    }
  }
  return { epochs: cfg.train_params.epochs, best: st.best, interrupted: false };
}
