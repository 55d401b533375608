// Retraining a derived architecture (spec 6.1): SGD with the per-step cosine schedule (the first
// step uses step 0, spec 4.3), label smoothing and the training augmentation on DIR/train, and
// after every epoch an evaluation on DIR/test. The run directory holds config.yaml, net_config
// (.json), metrics.jsonl, best/ (the weights of the best test top-1 and their net_config), plots/
// (the training curves, redrawn every epoch) and
// checkpoint.safetensors, the last checkpoint (every epoch end and on SIGINT/SIGTERM), from which
// --resume continues exactly.
import { mkdirSync } from 'node:fs';
import { saveTensors } from '../engine/checkpoint.js';
import { crossEntropy } from '../engine/ops/loss.js';
import { SGD } from '../engine/optim/sgd.js';
import { Random } from '../engine/random.js';
import { tidyAsync } from '../engine/tensor.js';
import { summarizeArch } from './arch_summary.js';
import { configToYaml, type Config } from './config.js';
import { writeCostTable, type CostTable } from './cost_table.js';
import { derivedFor, type DerivedNet } from './derived.js';
import { writeFileAtomic } from './io.js';
import { addToMeter, meterMeans, newMeter, topk, type Meter } from './metrics.js';
import { formatArch, netConfigToJson, netConfigToText, type NetConfig } from './net_config.js';
import type { StepReporter } from './progress.js';
import { writeRunPlots } from './plots/index.js';
import { readCheckpoint, RunDir, saveCheckpoint } from './run_dir.js';
import { CosineSchedule } from './schedule.js';
import { augmentConfigs, openTrainImages } from './search_data.js';
import { restoreTraining, StopSignal, trainingState, upload } from './training.js';
import { BEST_WEIGHTS, evaluate, testLoader } from './validate.js';
import { Loader, type Batch } from './data/loader.js';

const CHECKPOINT = 'checkpoint.safetensors';
const LOGS = ['metrics.jsonl'];

export interface RetrainOptions {
  cfg: Config;
  net: NetConfig;
  data: string;
  out: string;
  resume?: boolean;
  /** A cost table kept with the run: validate measures latency at its batch and reports its prediction. */
  table?: CostTable;
  reporter: StepReporter;
}

interface RetrainState {
  /** The next training batch. */
  pos: { epoch: number; batch: number };
  schedulerStep: number;
  /** Sums of the current epoch's training steps. */
  meter: Meter;
  best: { epoch: number; top1: number } | null;
  logSizes: Record<string, number>;
}

export interface RetrainResult { epochs: number; best: RetrainState['best']; interrupted: boolean }

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
  const run = new RunDir(o.out);
  if (run.has(CHECKPOINT) && !o.resume) throw new Error(`${o.out} already holds a retrain (${CHECKPOINT}); pass --resume to continue it or choose another --out`);
  if (o.resume && !run.has(CHECKPOINT)) throw new Error(`--resume: ${o.out} holds no ${CHECKPOINT} to resume from`);
  const classes = cfg.train_params.num_classes, seed = cfg.train_params.seed;

  const images = openTrainImages(o.data);
  if (images.classes.length > classes) throw new Error(`${images.source} has ${images.classes.length} classes but train_params.num_classes is ${classes}`);
  const train = new Loader(images, { batchSize: cfg.data.batch_size, augment: augmentConfigs(cfg).train, seed, limit: cfg.data.limit ?? undefined });
  const test = testLoader(cfg, o.data, cfg.data.batch_size);

  writeFileAtomic(run.path('config.yaml'), configToYaml(cfg));
  writeFileAtomic(run.path('net_config.json'), netConfigToJson(net));
  writeFileAtomic(run.path('net_config'), netConfigToText(net));
  if (o.table) writeCostTable(run.path('cost_table.json'), o.table);

  const model = derivedFor(net, cfg, new Random(seed));
  const sgd = new SGD(model.parameters(), { lr: cfg.optim.init_lr, momentum: cfg.optim.momentum, weightDecay: cfg.optim.weight_decay, nesterov: cfg.optim.nesterov });
  const schedule = new CosineSchedule(cfg.optim.init_lr, cfg.optim.min_lr, train.length, cfg.data.batch_size, cfg.train_params.epochs);
  const labelSmoothing = cfg.optim.label_smooth ? cfg.optim.smooth_alpha : 0;

  let st: RetrainState = { pos: { epoch: 0, batch: 0 }, schedulerStep: 0, meter: newMeter(), best: null, logSizes: {} };
  const ckptPath = run.path(CHECKPOINT);
  if (o.resume) {
    const { tensors, state } = readCheckpoint(ckptPath);
    restoreTraining(ckptPath, tensors, state.sgd, model, sgd);
    st = state.retrain;
    run.truncateLogs(st.logSizes);
    reporter.line(`resuming ${o.out} at epoch ${st.pos.epoch}, batch ${st.pos.batch}`);
  } else {
    const s = summarizeArch(net, cfg, o.table);
    reporter.line(`retrain ${formatArch(net)}: ${(s.params / 1e6).toFixed(3)} M params, ${(s.madds / 1e6).toFixed(2)} M multiply-adds, ${train.length} training images, ${test.length} test images`);
  }

  const save = async () => {
    st.logSizes = run.logSizes(LOGS);
    const t = trainingState(model, sgd);
    await saveCheckpoint(ckptPath, { gpu: t.gpu, host: {}, state: { retrain: st, sgd: t.sgd } });
  };

  const step = async (b: Batch) => {
    sgd.lr = schedule.lr(st.schedulerStep++);
    return retrainStep(model, sgd, b, labelSmoothing, classes);
  };

  const stop = new StopSignal(reporter);
  try {
    while (st.pos.epoch < cfg.train_params.epochs) {
      const e = st.pos.epoch, t0 = performance.now();
      let seen = 0;   // images trained by this process this epoch (a resumed epoch starts midway)
      model.train();
      const bar = reporter.phase(`epoch ${e} train`, train.batches, st.pos.batch);
      for await (const b of train.epoch(e, st.pos.batch)) {
        const r = await step(b);
        addToMeter(st.meter, b.n, r.loss, r.acc);
        seen += b.n;
        st.pos.batch++;
        const m = meterMeans(st.meter);
        bar.update(st.pos.batch, { loss: m.loss, top1: m.top1, images: b.n });
        if (st.pos.batch % cfg.search_params.log_every === 0 || st.pos.batch === train.batches) {
          run.log('metrics.jsonl', { kind: 'step', epoch: e, step: st.pos.batch, loss: r.loss, top1: (100 * r.acc.top1) / b.n, lr: sgd.lr });
        }
        if (stop.signal) {
          await save();
          bar.done();
          reporter.line(`checkpoint saved at epoch ${e}, batch ${st.pos.batch}: resume with --resume`);
          return { epochs: e, best: st.best, interrupted: true };
        }
      }
      bar.done();
      const trainSeconds = (performance.now() - t0) / 1000;
      const trained = meterMeans(st.meter);
      const ev = await evaluate(model, test, classes, reporter.phase(`epoch ${e} test`, test.batches, 0));
      const record = {
        kind: 'epoch', epoch: e, lr: sgd.lr,
        train_loss: trained.loss, train_top1: trained.top1, train_top5: trained.top5,
        test_loss: ev.loss, test_top1: ev.top1, test_top5: ev.top5,
        images_per_s: seen / trainSeconds,
        test_images_per_s: ev.imagesPerS, seconds: trainSeconds + ev.seconds,
      };
      run.log('metrics.jsonl', record);
      const isBest = !st.best || ev.top1 > st.best.top1;
      if (isBest) {
        st.best = { epoch: e, top1: ev.top1 };
        mkdirSync(run.path('best'), { recursive: true });
        await saveTensors(run.path(BEST_WEIGHTS), model.stateDict(), { epoch: String(e), test_top1: String(ev.top1) });
        writeFileAtomic(run.path('best/net_config.json'), JSON.stringify({ ...JSON.parse(netConfigToJson(net)), epoch: e, test_top1: ev.top1, test_top5: ev.top5 }) + '\n');
      }
      reporter.line(`epoch ${e}: train loss ${trained.loss.toFixed(4)} top1 ${trained.top1.toFixed(2)}, test loss ${ev.loss.toFixed(4)} top1 ${ev.top1.toFixed(2)} top5 ${ev.top5.toFixed(2)}${isBest ? ' (best)' : ''}, ${record.images_per_s.toFixed(0)} img/s`);
      st.pos = { epoch: e + 1, batch: 0 };
      st.meter = newMeter();
      await save();
      await writeRunPlots(o.out).catch((err) => reporter.line(`plots: ${(err as Error).message}`));
      if (stop.signal) {
        reporter.line(`checkpoint saved at the end of epoch ${e}: resume with --resume`);
        return { epochs: e + 1, best: st.best, interrupted: true };
      }
    }
    return { epochs: cfg.train_params.epochs, best: st.best, interrupted: false };
  } finally {
    stop.dispose();
    model.dispose();
  }
}
