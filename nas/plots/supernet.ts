// The dense supernet as an arc diagram: nodes left to right in stage bands (width and
// resolution in each box), every edge an arc whose width and opacity are its probability at the
// last finished epoch, the derived path drawn over them with the chosen ops below its nodes.
import { softmaxArray } from '../arch_params.js';
import { legend, textWidth } from './axes.js';
import { opLabel } from '../op_layers.js';
import { lastDerived, type RunData } from './run.js';
import { el, MUTED, type Plot, text } from './svg.js';

const GAP = 100, BOX_W = 70, BOX_H = 40, PAD = 40, LINE = 15;
const EDGE = '#0072B2', PATH = '#D55E00', PATH_FILL = '#FBE3D6';

/**
 * Cubic arc from node a to node b above the boxes, rising with the span; edges leave the right
 * half of a box and enter the left half, fanned out by span so their ends do not pile up.
 */
function arc(xa: number, xb: number, top: number, span: number, maxSpan: number) {
  const fan = 4 + ((span - 1) / Math.max(1, maxSpan - 1)) * (BOX_W / 2 - 8);
  const x1 = xa + fan, x2 = xb - fan, h = 22 + 30 * (span - 1);
  return { d: `M${x1} ${top} C${x1} ${top - h} ${x2} ${top - h} ${x2} ${top}`, apex: [(x1 + x2) / 2, top - 0.75 * h] as const };
}

/** Repeats folded: ['basic', 'basic', 'k3t3'] -> ['basic ×2', 'k3t3'] (ResNet blocks stack many alike). */
function runs(labels: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < labels.length;) {
    let j = i;
    while (j < labels.length && labels[j] === labels[i]) j++;
    out.push(j - i > 1 ? `${labels[i]} ×${j - i}` : labels[i]);
    i = j;
  }
  return out;
}

export function supernetPlot(run: RunData): Plot {
  const { space } = run, n = space.numNodes;
  const last = run.arch[run.arch.length - 1];
  const { path, net } = lastDerived(run);
  const onPath = new Set(path.slice(1).map((s, i) => `${path[i]}>${s}`));
  const probs = last.params.betas.map((b) => softmaxArray(b, 1));
  // Labels below the nodes: stem, conv1_1, and for each block on the path its head op and kept stack ops.
  const below = new Map<number, string[]>([[0, ['stem']], [n - 1, ['conv1_1']]]);
  const first = net.blocks.length - (path.length - 2);   // mbv2 starts with the fixed stem block
  for (let i = 1; i < path.length - 1; i++) {
    const b = net.blocks[first + i - 1];
    below.set(path[i], [opLabel(b.head), ...(b.stack.length ? runs(b.stack.map((s) => opLabel(s, true))) : ['no stack'])]);
  }
  const maxSpan = Math.max(...space.succ.map((o, m) => (o.length ? o[o.length - 1] - m : 0)));
  const labelLines = Math.max(...[...below.values()].map((l) => l.length));

  const note = 'line width and opacity: edge probability softmax(β); below each chosen node: head op'
    + `${space.netType === 'mbv2' ? ' (kernel k, expansion t)' : ''}, then kept stack ops`;
  const width = Math.max(2 * PAD + textWidth(note, 11), 2 * PAD + n * GAP), top = 92;
  const arcH = 22 + 30 * (maxSpan - 1) + 20;
  const boxTop = top + arcH, boxMid = boxTop + BOX_H / 2;
  const bandBottom = boxTop + BOX_H + 12 + labelLines * LINE + 8;
  const x = (i: number) => PAD + GAP / 2 + i * GAP + (width - 2 * PAD - n * GAP) / 2;
  const parts: string[] = [];

  // Stage bands, alternately shaded, named at their top.
  for (let i = 0, k = 0; i < n; k++) {
    let j = i;
    while (j + 1 < n && space.stage[j + 1] === space.stage[i]) j++;
    const x0 = x(i) - GAP / 2, w = (j - i + 1) * GAP;
    parts.push(el('rect', {
      x: x0 + 2, y: top - 16, width: w - 4, height: bandBottom - top + 16, rx: 6, fill: k % 2 ? '#ffffff' : '#f3f3f3', stroke: '#dddddd',
    }));
    parts.push(text(x0 + w / 2, top - 3, `stage ${space.stage[i]}`, { 'text-anchor': 'middle', fill: MUTED, 'font-size': 11 }));
    i = j + 1;
  }

  // Edges: the others first, the path on top; one element per edge of the space.
  const edges: string[] = [], pathEdges: string[] = [];
  space.succ.forEach((outs, m) => outs.forEach((s, j) => {
    const p = probs[m][j], a = arc(x(m), x(s), boxTop, s - m, maxSpan), hot = onPath.has(`${m}>${s}`);
    const attrs = {
      class: hot ? 'edge on-path' : 'edge', 'data-from': m, 'data-to': s, 'data-p': p.toFixed(4), d: a.d, fill: 'none', 'stroke-linecap': 'round',
    };
    if (!hot) edges.push(el('path', { ...attrs, stroke: EDGE, 'stroke-width': 0.75 + 6 * p, 'stroke-opacity': 0.2 + 0.8 * p }));
    else {
      pathEdges.push(el('path', { ...attrs, stroke: PATH, 'stroke-width': 1.5 + 6 * p }));
      pathEdges.push(text(a.apex[0], a.apex[1] - 6, p.toFixed(2), {
        'text-anchor': 'middle', 'font-size': 11, 'font-weight': 'bold', fill: PATH, stroke: '#ffffff', 'stroke-width': 3, 'paint-order': 'stroke',
      }));
    }
  }));
  parts.push(...edges, ...pathEdges);

  // Nodes: width and resolution; the chosen ones outlined, with their ops below.
  const chosen = new Set(path);
  for (let i = 0; i < n; i++) {
    const hot = chosen.has(i), r = space.resolution[i];
    parts.push(el('rect', {
      class: hot ? 'node on-path' : 'node', x: x(i) - BOX_W / 2, y: boxTop, width: BOX_W, height: BOX_H, rx: 5,
      fill: hot ? PATH_FILL : '#ffffff', stroke: hot ? PATH : MUTED, 'stroke-width': hot ? 2.5 : 1,
    }));
    parts.push(text(x(i), boxMid - 3, `${space.chs[i]} ch`, { 'text-anchor': 'middle', 'font-weight': 'bold', 'font-size': 13 }));
    parts.push(text(x(i), boxMid + 13, `${r}×${r}`, { 'text-anchor': 'middle', fill: MUTED, 'font-size': 11 }));
    (hot ? below.get(i) ?? [] : []).forEach((l, k) => parts.push(text(x(i), boxTop + BOX_H + 16 + k * LINE, l, {
      'text-anchor': 'middle', 'font-size': k ? 11 : 12, 'font-weight': k ? undefined : 'bold', fill: k ? MUTED : PATH, class: 'op-label',
    })));
  }

  const e = run.epochs.find((l) => l.epoch === last.epoch);
  const params = e?.params !== undefined ? (e.params / 1e6).toFixed(3) + ' M params, ' : '';
  const stats = e ? `; ${e.layers ?? '?'} layers, ${params}table ${e.table_cost === null ? 'n/a' : e.table_cost.toFixed(3) + ' ' + e.units}` : '';
  parts.push(text(PAD, 28, `Supernet and derived path after epoch ${last.epoch}`, { 'font-size': 18, 'font-weight': 'bold' }));
  parts.push(text(PAD, 50, `${space.netType} space, ${n} nodes, ${space.succ.flat().length} edges; path ${path.join(' → ')}${stats}`, { fill: MUTED }));
  const key = legend(PAD, bandBottom + 28, [
    {
      label: e?.derivation === 'in_band'
        ? 'derived path (the most probable architecture within the cost target)' : 'derived path (max product of edge probabilities)',
      colour: PATH,
    },
    { label: 'other edges', colour: EDGE },
  ], width - 2 * PAD);
  parts.push(key.svg, text(PAD, bandBottom + 28 + key.height + 2, note, { fill: MUTED, 'font-size': 11 }));
  const height = bandBottom + 28 + key.height + 16;
  return { name: 'supernet', width, height, body: parts.join(''), title: `DenseNAS supernet, epoch ${last.epoch}` };
}
