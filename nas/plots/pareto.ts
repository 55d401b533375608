// "Is the search better than random at the same latency?" as one figure: finished retrain runs as
// points of test top-1 (of the epoch chosen on held-out training images) against latency by the
// run's table, a colour and marker per group (the first word of a label: searched, random,
// baseline), and for each label of three or more runs its mean and spread. Runs whose
// architecture a supernet scored (densenas score) also give the supernet's ranking quality:
// Kendall's tau between supernet top-1 and retrained top-1, per supernet, over distinct architectures.
import { existsSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { summarizeArch } from '../arch_summary.js';
import { loadConfig } from '../config.js';
import { readCostTable } from '../cost_table.js';
import { kendallTau, mean, std } from '../metrics.js';
import { formatArch, readNetFile } from '../net_config.js';
import { chart, extent, legend } from './axes.js';
import { jsonLines } from './run.js';
import { categoryStyle, el, marker, MUTED, type Plot, text } from './svg.js';

export interface ParetoPoint {
  dir: string; label: string; arch: string;
  /** Latency (or cost) of the architecture by the run's table, in its units. */
  latency: number; units: string;
  epoch: number; val_top1: number; test_top1: number;
  /** The supernet's top-1 of this architecture (densenas score), and which supernet. */
  supernet_top1?: number; supernet_run?: string;
}

/** A finished retrain run kept with its cost table (retrain --table), as a point. */
export function readParetoPoint(dir: string, label: string): ParetoPoint {
  const metrics = join(dir, 'metrics.jsonl'), tableFile = join(dir, 'cost_table.json');
  if (!existsSync(metrics) || !existsSync(join(dir, 'net_config.json'))) throw new Error(`${dir} is not a retrain run: no metrics.jsonl and net_config.json`);
  const final = jsonLines(metrics, 'metrics.jsonl').map((l) => l.rec).find((r) => r.kind === 'final');
  if (!final) throw new Error(`${metrics}: the retrain has not finished (no final line)`);
  if (!existsSync(tableFile)) throw new Error(`${dir}: no cost_table.json (retrain it with --table) to place it on the latency axis`);
  const table = readCostTable(tableFile);
  const { net, record } = readNetFile(join(dir, 'net_config.json'));
  const s = summarizeArch(net, loadConfig([join(dir, 'config.yaml')]), table);
  if (s.cost === null) throw new Error(`${tableFile} lacks ${s.missing.length} op(s) of ${dir}'s architecture: ${s.missing.slice(0, 3).join(', ')}`);
  const origin = record?.origin ?? {};
  return {
    dir, label, arch: formatArch(net), latency: s.cost, units: table.units,
    epoch: final.epoch as number, val_top1: final.val_top1 as number, test_top1: final.test_top1 as number,
    // one supernet however its path was written (a link, a moved folder that still exists)
    ...(typeof origin.supernet_top1 === 'number' ? { supernet_top1: origin.supernet_top1, supernet_run: canonical(String(origin.supernet_run)) } : {}),
  };
}

const canonical = (p: string) => (existsSync(p) ? realpathSync(p) : p);

export interface ParetoGroup { label: string; n: number; latency: number; test_top1: { mean: number; std: number; min: number; max: number } }
export interface RankQuality { supernet_run: string; n: number; tau: number }

/** Per label: mean latency and the mean, spread and range of test top-1; per supernet: Kendall's tau. */
export function paretoSummary(points: ParetoPoint[]): { groups: ParetoGroup[]; ranking: RankQuality[] } {
  const labels = [...new Set(points.map((p) => p.label))];
  const groups = labels.map((label) => {
    const g = points.filter((p) => p.label === label), t = g.map((p) => p.test_top1);
    return { label, n: g.length, latency: mean(g.map((p) => p.latency)), test_top1: { mean: mean(t), std: std(t), min: Math.min(...t), max: Math.max(...t) } };
  });
  const runs = [...new Set(points.flatMap((p) => (p.supernet_run ? [p.supernet_run] : [])))];
  // one pair per architecture: the runs of one (several seeds) enter with their mean
  const ranking = runs.map((run) => {
    const archs = new Map<string, ParetoPoint[]>();
    for (const p of points) if (p.supernet_run === run) archs.set(p.arch, [...(archs.get(p.arch) ?? []), p]);
    const g = [...archs.values()];
    return { supernet_run: run, n: g.length, tau: kendallTau(g.map((a) => a[0].supernet_top1!), g.map((a) => mean(a.map((p) => p.test_top1)))) };
  }).filter((r) => r.n >= 3);   // over two architectures tau is +1 or -1: a coin, not a ranking
  return { groups, ranking };
}

const W = 720, H = 440, LEFT = 80;

export function paretoPlot(points: ParetoPoint[]): Plot {
  const { groups, ranking } = paretoSummary(points);
  const words = [...new Set(points.map((p) => p.label.split(' ')[0]))];
  const style = (label: string) => categoryStyle(words.indexOf(label.split(' ')[0])), colour = (label: string) => style(label).colour;
  const parts = [
    text(24, 30, 'Retrained top-1 against latency', { 'font-size': 18, 'font-weight': 'bold' }),
    text(24, 52, `test top-1 of the epoch chosen on held-out training images; bands: mean ± 1 std of each label with 3 or more runs`, { fill: MUTED }),
  ];
  const key = legend(24, 76, words.map((w) => ({ label: w, ...style(w) })), W);
  parts.push(key.svg);
  const top = 76 + key.height + 36;
  const f = { x: LEFT, y: top, w: W, h: H };
  const x = extent(points.map((p) => p.latency), 0.1), y = extent(points.map((p) => p.test_top1), 0.12);
  const wide = groups.filter((g) => g.n >= 3);
  const c = chart(f, {
    title: 'test top-1 (%) by latency', xLabel: `latency by the table (${points[0]?.units ?? 'ms'})`, yLabel: 'test top-1 (%)', x, y, series: [],
    under: (sx, sy) => wide.map((g) => {
      const lat = points.filter((p) => p.label === g.label).map((p) => p.latency), x0 = sx(Math.min(...lat)) - 8, x1 = sx(Math.max(...lat)) + 8;
      const m = g.test_top1;
      return el('rect', { x: x0, y: sy(m.mean + m.std), width: x1 - x0, height: Math.max(1, sy(m.mean - m.std) - sy(m.mean + m.std)), fill: colour(g.label), 'fill-opacity': 0.15 })
        + el('line', { x1: x0, x2: x1, y1: sy(m.mean), y2: sy(m.mean), stroke: colour(g.label), 'stroke-width': 2, 'stroke-dasharray': '6 3' });
    }).join(''),
  });
  parts.push(c.svg);
  for (const p of points) {
    const { colour: fill, marker: shape } = style(p.label), x = c.sx(p.latency), y = c.sy(p.test_top1);
    // data-x, data-y: the centre, whatever the shape
    parts.push(marker(shape, x, y, 5, { class: 'point', fill, stroke: '#ffffff', 'data-label': p.label, 'data-x': x, 'data-y': y }));
  }
  let ty = top + H + 64;
  for (const r of ranking) {
    parts.push(text(24, ty, `supernet ${r.supernet_run}: Kendall tau ${r.tau.toFixed(2)} between supernet top-1 and retrained top-1 over ${r.n} architectures`, { fill: MUTED }));
    ty += 18;
  }
  return { name: 'pareto', width: LEFT + W + 40, height: ty + 10, body: parts.join(''), title: 'Retrained top-1 against latency' };
}
