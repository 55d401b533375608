// Charts on the SVG writer: linear scales, round tick values, a framed panel with gridlines,
// tick labels, axis titles and line series (markers where points are few), and legends.
import { el, esc, GRID, INK, type Marker, marker, MUTED, points, text } from './svg.js';

export interface Frame { x: number; y: number; w: number; h: number }
export type Scale = (v: number) => number;

export const linear = (d0: number, d1: number, r0: number, r1: number): Scale =>
  (v) => (d1 === d0 ? (r0 + r1) / 2 : r0 + ((v - d0) / (d1 - d0)) * (r1 - r0));

/** About `count` round values (1, 2 or 5 times a power of ten) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5, integer = false): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count, p = 10 ** Math.floor(Math.log10(raw));
  let step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw)!;
  if (integer) step = Math.max(1, Math.round(step));
  const out = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

/** The range of finite values, widened a little (and around a lone value) so lines stay off the frame. */
export function extent(values: number[], pad = 0.06): [number, number] {
  const v = values.filter(Number.isFinite);
  if (!v.length) return [0, 1];
  let lo = Math.min(...v), hi = Math.max(...v);
  if (hi === lo) { const d = Math.abs(lo) * 0.1 || 1; lo -= d; hi += d; }
  const d = (hi - lo) * pad;
  return [lo - d, hi + d];
}

/** The epoch axis: whole epochs, half an epoch of room at either end (one epoch still has width). */
export const epochDomain = (epochs: number[]): [number, number] =>
  epochs.length ? [Math.min(...epochs) - 0.5, Math.max(...epochs) + 0.5] : [-0.5, 0.5];

export function tickText(v: number, step: number): string {
  const digits = Math.max(0, Math.min(4, -Math.floor(Math.log10(step) + 1e-9)));
  return Math.abs(v) >= 1e4 ? v.toExponential(1) : v.toFixed(digits);
}

export interface Series { label: string; colour: string; dash?: string; pts: [number, number][]; cls: string; strokeWidth?: number }

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  x: [number, number];
  y: [number, number];
  xInteger?: boolean;
  series: Series[];
  /** Drawn inside the plot area before the series (areas, bands). */
  under?: (sx: Scale, sy: Scale) => string;
}

/** A framed chart; returns the SVG and the scales for anything drawn on top. */
export function chart(f: Frame, o: ChartOptions): { svg: string; sx: Scale; sy: Scale } {
  const sx = linear(o.x[0], o.x[1], f.x, f.x + f.w), sy = linear(o.y[0], o.y[1], f.y + f.h, f.y);
  const xt = niceTicks(o.x[0], o.x[1], Math.max(2, Math.floor(f.w / 45)), o.xInteger);
  const yt = niceTicks(o.y[0], o.y[1], Math.max(2, Math.floor(f.h / 40)));
  const xStep = xt.length > 1 ? xt[1] - xt[0] : 1, yStep = yt.length > 1 ? yt[1] - yt[0] : Math.abs(yt[0]) || 1;
  const parts: string[] = [];
  for (const v of yt) parts.push(el('line', { x1: f.x, x2: f.x + f.w, y1: sy(v), y2: sy(v), stroke: GRID }),
    text(f.x - 6, sy(v) + 4, tickText(v, yStep), { 'text-anchor': 'end', fill: MUTED, 'font-size': 11 }));
  for (const v of xt) parts.push(el('line', { x1: sx(v), x2: sx(v), y1: f.y + f.h, y2: f.y + f.h + 4, stroke: MUTED }),
    text(sx(v), f.y + f.h + 16, tickText(v, xStep), { 'text-anchor': 'middle', fill: MUTED, 'font-size': 11 }));
  if (o.under) parts.push(o.under(sx, sy));
  parts.push(el('rect', { x: f.x, y: f.y, width: f.w, height: f.h, fill: 'none', stroke: MUTED }));
  for (const s of o.series) {
    const pts = s.pts.map(([x, y]) => [sx(x), sy(y)] as [number, number]);
    parts.push(el('polyline', { class: s.cls, 'data-label': s.label, points: points(pts), fill: 'none', stroke: s.colour, 'stroke-width': s.strokeWidth ?? 2, 'stroke-dasharray': s.dash, 'stroke-linejoin': 'round' }));
    if (pts.length <= 12) parts.push(...pts.map(([x, y]) => el('circle', { cx: x, cy: y, r: 3, fill: s.colour })));
  }
  parts.push(text(f.x + f.w / 2, f.y - 8, o.title, { 'text-anchor': 'middle', 'font-weight': 'bold', 'font-size': 13 }));
  parts.push(text(f.x + f.w / 2, f.y + f.h + 32, o.xLabel, { 'text-anchor': 'middle', fill: INK }));
  const yl = { x: f.x - 44, y: f.y + f.h / 2 };
  parts.push(el('text', { x: yl.x, y: yl.y, transform: `rotate(-90 ${yl.x} ${yl.y})`, 'text-anchor': 'middle' }, esc(o.yLabel)));
  return { svg: el('g', {}, ...parts), sx, sy };
}

/** Rough width of sans-serif text (DejaVu Sans averages a little over 0.5 em per character). */
export const textWidth = (s: string, size = 12) => s.length * size * 0.56;

export interface LegendItem { label: string; colour: string; dash?: string; box?: boolean; marker?: Marker }

/** A one-row legend (wrapping at maxWidth) starting at (x, y); returns the SVG and its height. */
export function legend(x: number, y: number, items: LegendItem[], maxWidth: number): { svg: string; height: number } {
  const parts: string[] = [];
  let cx = x, cy = y;
  for (const it of items) {
    const w = 30 + textWidth(it.label) + 18;
    if (cx + w > x + maxWidth && cx > x) { cx = x; cy += 20; }
    parts.push(it.marker
      ? marker(it.marker, cx + 11, cy - 3, 5, { fill: it.colour })
      : it.box
      ? el('rect', { x: cx, y: cy - 9, width: 22, height: 12, fill: it.colour })
      : el('line', { x1: cx, x2: cx + 22, y1: cy - 3, y2: cy - 3, stroke: it.colour, 'stroke-width': 3, 'stroke-dasharray': it.dash }));
    parts.push(text(cx + 28, cy + 1, it.label));
    cx += w;
  }
  return { svg: el('g', { class: 'legend' }, ...parts), height: cy - y + 20 };
}
