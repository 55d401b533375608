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
