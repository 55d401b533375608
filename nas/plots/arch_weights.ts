// Architecture weights over the epochs, as small multiples: for every source node the
// probability of each outgoing edge, then for every block on the derived path the op
// distribution of its head row (the edge the path takes) and of each stack layer, as stacked
// areas with one step per epoch.
import { softmaxArray } from '../arch_params.js';
import { chart, epochDomain, legend, textWidth, type Frame } from './axes.js';
import { opLabel } from '../op_layers.js';
import { opColours } from './ops.js';
import { lastDerived, type RunData } from './run.js';
import { DASHES, el, MUTED, PALETTE, type Plot, points, text } from './svg.js';

const CELL_W = 236, CELL_H = 158, PAD = 24, MAX_COLS = 6;
/** The plot area inside a cell: room for the y ticks and title on the left, the title above and the x axis below. */
const inner = (cx: number, cy: number): Frame => ({ x: cx + 56, y: cy + 26, w: CELL_W - 72, h: CELL_H - 74 });

export function archWeightsPlot(run: RunData): Plot {
  const { space, arch } = run;
  const epochs = arch.map((a) => a.epoch), xd = epochDomain(epochs);
  const { path } = lastDerived(run);
  const colours = opColours(space);
  const maxSucc = Math.max(...space.succ.map((o) => o.length));
  const rows = path.slice(1, -1).map((s) => ({ s, m: path[path.indexOf(s) - 1] }));
  const cols = Math.min(MAX_COLS, Math.max(4, 1 + Math.max(0, ...rows.map(({ s }) => space.numLayers[s]))));
  const width = 2 * PAD + cols * CELL_W;
  const parts: string[] = [];
  let y = 30;
  parts.push(text(PAD, y, `Architecture weights over ${epochs.length} epoch${epochs.length === 1 ? '' : 's'}`, { 'font-size': 18, 'font-weight': 'bold' }));
  y += 22;
  parts.push(text(PAD, y, 'probabilities at temperature 1; derived path ' + path.join(' → ') + ` (epoch ${epochs[epochs.length - 1]})`, { fill: MUTED }));

  // Edge probabilities: one panel per source node, one line per successor (by distance).
  y += 34;
  const edgeTitle = 'Outgoing edges of each node: softmax(β)';
  parts.push(text(PAD, y, edgeTitle, { 'font-size': 15, 'font-weight': 'bold' }),
    text(PAD + textWidth(edgeTitle, 15) * 1.15 + 12, y, 'thick line: the edge the derived path takes', { fill: MUTED }));
  const edgeKey = legend(PAD, y + 22, Array.from({ length: maxSucc }, (_, j) => ({
    label: j === 0 ? 'to the next node' : `to ${j + 1} nodes on`, colour: PALETTE[j % PALETTE.length], dash: DASHES[j % DASHES.length],
  })), width - 2 * PAD);
  parts.push(edgeKey.svg);
  y += 22 + edgeKey.height;
  const probs = arch.map((a) => a.params.betas.map((b) => softmaxArray(b, 1)));
  const sources = space.succ.slice(0, -1);
  sources.forEach((outs, m) => {
    const cx = PAD + (m % cols) * CELL_W, cy = y + Math.floor(m / cols) * CELL_H;
    const onPath = path.indexOf(m) >= 0 ? path[path.indexOf(m) + 1] : -1;
    parts.push(chart(inner(cx, cy), {
      title: `from node ${m} (${space.chs[m]} ch)`, xLabel: 'epoch', yLabel: 'probability', x: xd, y: [0, 1], xInteger: true,
      series: outs.map((s, j) => ({
        label: `${m}→${s}`, cls: s === onPath ? 'edge-prob on-path' : 'edge-prob', strokeWidth: s === onPath ? 3.5 : 2,
        colour: PALETTE[j % PALETTE.length], dash: DASHES[j % DASHES.length],
        pts: epochs.map((e, t) => [e, probs[t][m][j]] as [number, number]),
      })),
    }).svg);
  });
  y += Math.ceil(sources.length / cols) * CELL_H + 16;

  // Op distributions of the blocks on the derived path.
  parts.push(text(PAD, y, 'Op distribution of each block on the derived path: softmax(α)', { 'font-size': 15, 'font-weight': 'bold' }));
  const keys = [...colours].map(([name, colour]) => ({ label: name === 'skip_connect' ? 'skip (no layer)' : opLabel(name), colour, box: true }));
  const opKey = legend(PAD, y + 22, keys, width - 2 * PAD);
  parts.push(opKey.svg);
  y += 22 + opKey.height;
  const kh = space.primitivesHead.length, ks = space.primitivesStack.length;
  // Each block starts a row; a block with more layers than columns wraps.
  rows.forEach(({ s, m }) => {
    const r = space.pred[s].indexOf(m);
    const row = (x: Float64Array, k: number, i: number) => softmaxArray(x.subarray(i * k, (i + 1) * k), 1);
    const panels = [{
      title: `node ${s} head (edge ${m}→${s})`, ops: space.primitivesHead,
      dist: (t: number) => row(arch[t].params.head[s - 1], kh, r),
    }];
    for (let l = 0; l < space.numLayers[s]; l++) {
      panels.push({
        title: `node ${s} stack layer ${l + 1}`, ops: space.primitivesStack,
        dist: (t: number) => row(arch[t].params.stack[s - 1], ks, l),
      });
    }
    panels.forEach((p, c) => {
      const d = epochs.map((_, t) => p.dist(t));
      parts.push(chart(inner(PAD + (c % cols) * CELL_W, y + Math.floor(c / cols) * CELL_H), {
        title: p.title, xLabel: 'epoch', yLabel: 'probability', x: xd, y: [0, 1], xInteger: true, series: [],
        under: (sx, sy) => stackedSteps(epochs, d, p.ops, colours, sx, sy),
      }).svg);
    });
    y += Math.ceil(panels.length / cols) * CELL_H;
  });
  if (!rows.length) {
    parts.push(text(PAD, y + 20, 'the derived path has no searchable block', { fill: MUTED }));
    y += CELL_H;
  }
  return { name: 'arch_weights', width, height: y + PAD, body: parts.join(''), title: 'DenseNAS architecture weights over epochs' };
}

/** One polygon per op: its share stacked on the ops before it, held for the width of each epoch. */
function stackedSteps(
  epochs: number[], dist: Float64Array[], ops: string[], colours: Map<string, string>, sx: (v: number) => number, sy: (v: number) => number,
): string {
  const below = epochs.map(() => 0);
  return ops.map((op, k) => {
    const lower: [number, number][] = [], upper: [number, number][] = [];
    epochs.forEach((e, t) => {
      for (const x of [e - 0.5, e + 0.5]) { lower.push([sx(x), sy(below[t])]); upper.push([sx(x), sy(below[t] + dist[t][k])]); }
      below[t] += dist[t][k];
    });
    return el('polygon', {
      class: 'op-area', 'data-op': op, points: points([...upper, ...lower.reverse()]), fill: colours.get(op),
      stroke: '#ffffff', 'stroke-width': 0.5,
    });
  }).join('');
}
