// Retraining curves: train and held-out (test, else validation) top-1 and loss per epoch of one or more retrain runs (the
// 'epoch' lines of their metrics.jsonl), so that a searched network and a baseline trained the
// same way can be read off one figure.
import { join } from 'node:path';
import { chart, epochDomain, extent, legend, type Series } from './axes.js';
import { jsonLines, field, isEpoch, isNum } from './run.js';
import { DASHES, MUTED, PALETTE, type Plot, text } from './svg.js';

/** One epoch: training means, and the held-out images it was evaluated on (test, or validation when test waits for the end). */
export interface RetrainEpoch { epoch: number; train_top1: number; train_loss: number; held_top1: number; held_loss: number }
export interface RetrainRun { label: string; held: 'test' | 'validation'; epochs: RetrainEpoch[] }

/** The epoch lines of a retrain run directory, checked; `label` names it in the legend. */
export function readRetrainRun(dir: string, label = dir): RetrainRun {
  const path = join(dir, 'metrics.jsonl'), epochs = new Map<number, RetrainEpoch>();
  let held: RetrainRun['held'] | undefined;
  for (const { line, rec } of jsonLines(path, 'metrics.jsonl')) {
    if (rec.kind !== 'epoch') continue;
    const where = `metrics.jsonl ${path} line ${line}`;
    const num = (k: string) => field<number>(rec, k, isNum, 'a number', where);
    const epoch = field<number>(rec, 'epoch', isEpoch, 'an epoch number', where);
    held ??= 'test_top1' in rec ? 'test' : 'validation';
    const h = held === 'test' ? 'test' : 'val';
    epochs.set(epoch, { epoch, train_top1: num('train_top1'), train_loss: num('train_loss'), held_top1: num(`${h}_top1`), held_loss: num(`${h}_loss`) });
  }
  if (!epochs.size) throw new Error(`metrics.jsonl ${path}: no epoch has finished yet`);
  return { label, held: held!, epochs: [...epochs.values()].sort((a, b) => a.epoch - b.epoch) };
}

const PANEL_W = 380, PANEL_H = 240, GAP = 96, LEFT = 76;

export function retrainCurvesPlot(runs: RetrainRun[]): Plot {
  const series = (key: 'top1' | 'loss'): Series[] => runs.flatMap((r, i) => (['held', 'train'] as const).map((split, j) => ({
    label: `${r.label} ${split === 'held' ? r.held : split}`, cls: 'curve', colour: PALETTE[i % PALETTE.length], dash: DASHES[j],
    pts: r.epochs.map((e) => [e.epoch, e[`${split}_${key}`]] as [number, number]),
  })));
  const xd = epochDomain(runs.flatMap((r) => r.epochs.map((e) => e.epoch)));
  const panels = [{ title: 'Top-1 accuracy', yLabel: 'top-1 (%)', s: series('top1') }, { title: 'Loss', yLabel: 'loss', s: series('loss') }];
  const width = LEFT + 2 * PANEL_W + GAP + 24;
  const parts = [
    text(24, 30, runs.length === 1 ? `Retraining ${runs[0].label}` : `Retraining ${runs.map((r) => r.label).join(' vs ')}`, { 'font-size': 18, 'font-weight': 'bold' }),
    text(24, 52, 'per epoch: the held-out test images, or the validation images when the test waits for the end (solid); training means under augmentation (dashed)', { fill: MUTED }),
  ];
  const key = legend(24, 74, panels[0].s.map((s) => ({ label: s.label, colour: s.colour, dash: s.dash })), width - 48);
  const top = 74 + key.height + 40;   // below the legend, however many rows it wraps to
  parts.push(key.svg);
  panels.forEach((p, i) => {
    const f = { x: LEFT + i * (PANEL_W + GAP), y: top, w: PANEL_W, h: PANEL_H };
    parts.push(chart(f, { title: p.title, xLabel: 'epoch', yLabel: p.yLabel, x: xd, y: extent(p.s.flatMap((s) => s.pts.map((q) => q[1]))), xInteger: true, series: p.s }).svg);
  });
  return { name: 'retrain_curves', width, height: top + PANEL_H + 60, body: parts.join(''), title: 'Retraining curves' };
}
