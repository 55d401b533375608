// A small SVG writer: elements as strings with escaped attributes and text, a document with a
// white background and one sans-serif font, and the write of a plot as SVG plus a PNG rendered
// from it by sharp (both to a temporary name, then renamed).
import { renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { writeFileAtomic } from '../io.js';

export type Attrs = Record<string, string | number | undefined | null>;

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
export const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ESC[c]);

/** Numbers to two decimals at most: coordinates need no more, and the files stay small. */
const num = (v: number) => String(Math.round(v * 100) / 100);

function attrText(a: Attrs): string {
  return Object.entries(a).filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => ` ${k}="${typeof v === 'number' ? num(v) : esc(String(v))}"`).join('');
}

/** An element; children are already-written SVG strings. */
export function el(tag: string, attrs: Attrs = {}, ...children: string[]): string {
  return children.length ? `<${tag}${attrText(attrs)}>${children.join('')}</${tag}>` : `<${tag}${attrText(attrs)}/>`;
}

export function text(x: number, y: number, s: string, attrs: Attrs = {}): string {
  return el('text', { x, y, ...attrs }, esc(s));
}

export const points = (pts: [number, number][]) => pts.map(([x, y]) => `${num(x)},${num(y)}`).join(' ');

/**
 * Okabe-Ito: eight colours told apart with every common colour-vision deficiency. Series also
 * get a dash pattern (DASHES) so that they differ in grey too.
 */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#E69F00', '#CC79A7', '#56B4E9', '#F0E442', '#000000'];
export const DASHES = [undefined, '6 3', '2 3', '8 3 2 3', '1 2', '10 4'];

/** Point markers: past eight categories the colours come round again, each time with a new shape. */
export const MARKERS = ['circle', 'square', 'triangle', 'diamond'] as const;
export type Marker = (typeof MARKERS)[number];

/** The colour and marker of the i-th category, distinct for 32 categories. */
export const categoryStyle = (i: number) => ({ colour: PALETTE[i % PALETTE.length], marker: MARKERS[Math.floor(i / PALETTE.length) % MARKERS.length] });

/** A marker of about radius r centred on (x, y). */
export function marker(shape: Marker, x: number, y: number, r: number, attrs: Attrs = {}): string {
  if (shape === 'circle') return el('circle', { cx: x, cy: y, r, ...attrs });
  if (shape === 'square') return el('rect', { x: x - r * 0.9, y: y - r * 0.9, width: r * 1.8, height: r * 1.8, ...attrs });
  const pts: [number, number][] = shape === 'triangle'
    ? [[x, y - r * 1.2], [x + r * 1.1, y + r * 0.8], [x - r * 1.1, y + r * 0.8]]
    : [[x, y - r * 1.3], [x + r * 1.3, y], [x, y + r * 1.3], [x - r * 1.3, y]];
  return el('polygon', { points: points(pts), ...attrs });
}

export const INK = '#222222', MUTED = '#666666', GRID = '#e3e3e3';

export interface Plot { name: string; width: number; height: number; body: string; title: string }

/** The document, its size rounded up to whole pixels (the PNG has exactly that size). */
export function svgDocument(p: Plot): string {
  const width = Math.ceil(p.width), height = Math.ceil(p.height);
  return `<?xml version="1.0" encoding="UTF-8"?>\n` + el('svg', {
    xmlns: 'http://www.w3.org/2000/svg', width, height, viewBox: `0 0 ${width} ${height}`,
    'font-family': 'sans-serif', 'font-size': 12, fill: INK,
  }, el('title', {}, esc(p.title)), el('rect', { width, height, fill: '#ffffff' }), p.body) + '\n';
}

/** Writes DIR/name.svg and DIR/name.png (same pixel size); returns both paths. */
export async function writePlot(dir: string, p: Plot): Promise<string[]> {
  const svg = svgDocument(p);
  const svgPath = join(dir, `${p.name}.svg`), pngPath = join(dir, `${p.name}.png`);
  writeFileAtomic(svgPath, svg);
  const tmp = `${pngPath}.${process.pid}.tmp`;
  try {
    await sharp(Buffer.from(svg)).png().toFile(tmp);
    renameSync(tmp, pngPath);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new Error(`rendering ${svgPath} to PNG: ${(err as Error).message}`);
  }
  return [svgPath, pngPath];
}
