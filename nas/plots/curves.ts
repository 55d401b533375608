// Training curves per epoch: top-1 accuracy and loss of each phase (arch, weight and supernet
// validation, from the 'phase' lines), and the expected cost of the supernet beside the table
// cost of the derived architecture, and how sure the op weights are: their mean entropy as a
// share of uniform weights' (from the 'epoch' lines).
import { chart, epochDomain, extent, legend, type Series } from './axes.js';
import { uniformOpEntropy } from '../entropy.js';
import { PHASES } from '../search_step.js';
import type { RunData } from './run.js';
import { DASHES, MUTED, PALETTE, type Plot, text } from './svg.js';

const PANEL_W = 300, PANEL_H = 230, GAP = 96, LEFT = 76, TOP = 124;
const PHASE_STYLE = { weight: { colour: PALETTE[0], dash: DASHES[0] }, arch: { colour: PALETTE[1], dash: DASHES[1] }, valid: { colour: PALETTE[2], dash: DASHES[2] } };
const PHASE_NAME = { weight: 'weight phase (search-train)', arch: 'arch phase (search-val)', valid: 'supernet validation' };

export function curvesPlot(run: RunData): Plot {
  const phases = PHASES.filter((p) => run.phases.some((l) => l.phase === p));
  const perPhase = (key: 'top1' | 'loss'): Series[] => phases.map((p) => ({
    label: `${p} ${key}`, cls: 'curve', ...PHASE_STYLE[p],
    pts: run.phases.filter((l) => l.phase === p).sort((a, b) => a.epoch - b.epoch).map((l) => [l.epoch, l[key]] as [number, number]),
  }));
  const epochs = [...new Set([...run.phases.map((l) => l.epoch), ...run.epochs.map((l) => l.epoch)])];
  const xd = epochDomain(epochs);
  const units = run.epochs.find((l) => l.units)?.units ?? '';
  const cost: Series[] = [
    { label: 'expected cost', cls: 'curve', colour: PALETTE[4], dash: DASHES[0], pts: run.epochs.map((l) => [l.epoch, l.expected_cost]) },
    { label: 'derived table cost', cls: 'curve', colour: PALETTE[7], dash: DASHES[1], pts: run.epochs.filter((l) => l.table_cost !== null).map((l) => [l.epoch, l.table_cost!]) },
  ];
  const uniform = uniformOpEntropy(run.space);
  const certainty: Series[] = [{
    label: 'op entropy, all rows', cls: 'curve', colour: PALETTE[5], dash: DASHES[0],
    pts: run.epochs.filter((l) => l.mean_op_entropy !== undefined).map((l) => [l.epoch, (100 * l.mean_op_entropy!) / uniform]),
  }, {
    label: "op entropy, derived architecture's rows", cls: 'curve', colour: PALETTE[6], dash: DASHES[1],
    pts: run.epochs.filter((l) => l.arch_op_entropy_share !== undefined).map((l) => [l.epoch, 100 * l.arch_op_entropy_share!]),
  }];
  const panels = [
    { title: 'Top-1 accuracy', yLabel: 'top-1 (%)', series: perPhase('top1') },
    { title: 'Loss', yLabel: 'loss', series: perPhase('loss') },
    { title: 'Cost', yLabel: units ? `cost (${units})` : 'cost', series: cost },
    { title: 'Op entropy (100% = uniform)', yLabel: '% of uniform', series: certainty },
  ];
  const width = LEFT + panels.length * PANEL_W + (panels.length - 1) * GAP + 24;
  const parts = [
    text(24, 30, `Search curves over ${epochs.length} epoch${epochs.length === 1 ? '' : 's'}`, { 'font-size': 18, 'font-weight': 'bold' }),
    text(24, 52, `per-epoch means of each phase (the arch loss includes the cost term); cost: the supernet's expected cost and the derived architecture's, summed from the table;`
      + ` op entropy: how far the op weights are from uniform (lower: the search is surer)`, { fill: MUTED }),
  ];
  panels.forEach((p, i) => {
    const f = { x: LEFT + i * (PANEL_W + GAP), y: TOP, w: PANEL_W, h: PANEL_H };
    parts.push(chart(f, { title: p.title, xLabel: 'epoch', yLabel: p.yLabel, x: xd, y: extent(p.series.flatMap((s) => s.pts.map((q) => q[1]))), xInteger: true, series: p.series }).svg);
  });
  const key = legend(24, 84, [
    ...phases.map((p) => ({ label: PHASE_NAME[p], ...PHASE_STYLE[p] })),
    ...[...cost, ...certainty].map((s) => ({ label: s.label, colour: s.colour, dash: s.dash })),
  ], width - 48);
  parts.push(key.svg);
  const missing = PHASES.filter((p) => !phases.includes(p));
  const note = missing.length ? `no ${missing.join(' or ')} phase yet` : '';
  if (note) parts.push(text(24, TOP + PANEL_H + 62, note, { fill: MUTED, 'font-size': 11 }));
  return { name: 'curves', width, height: TOP + PANEL_H + 76, body: parts.join(''), title: 'DenseNAS search curves' };
}
