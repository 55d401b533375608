// Export for inference: every batch norm of a trained derived model folded into the convolution
// before it (in eval mode BN is y = s (x - mean) + beta with s = gamma / sqrt(var + eps), so the
// conv's weights scale by s per output channel and gain a bias beta - s mean), written as
// DIR/model.safetensors with DIR/net_config.json (`folded: true`, the input shape, classes, mean
// and std). FoldedNet is the inference network that runs such a file: conv + bias + activation
// in one kernel where DerivedNet runs conv, BN and a fused activation.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadTensors, writeSafetensors, type HostTensor } from '../engine/checkpoint.js';
import { Conv2d, DepthwiseConv2d, GlobalAvgPool, Linear } from '../engine/nn/layers.js';
import { Module, Sequential } from '../engine/nn/module.js';
import { Random } from '../engine/random.js';
import { Tensor } from '../engine/tensor.js';
import { defaultConfig, type Config } from './config.js';
import type { DerivedNet } from './derived.js';
import { makeDir, readText, showValue, writeFileAtomic } from './io.js';
import { netConfigToJson, parseNetConfigJson, type NetConfig } from './net_config.js';
import { OpModule } from './candidates.js';
import {
  candidateLayers, conv1x1Layers, derivedStemWidth, stemLayers, units, type Activation, type ConvBn, type OpLayers,
} from './op_layers.js';

export const FOLDED_FORMAT = 'densenas-folded/1';

/** What net_config.json of an exported model holds beside the net_config itself. */
export interface FoldedMeta {
  format: typeof FOLDED_FORMAT;
  folded: true;
  net_type: NetConfig['netType'];
  /** [C, H, W] of the normalised input; the model takes NHWC batches [N, H, W, C]. */
  input_shape: [number, number, number];
  classes: number;
  /** Per-channel normalisation of pixel / 255 that the model was trained with. */
  mean: number[];
  std: number[];
  stem_stride: 1 | 2;
  /** Classes of the supernet classifier that cost tables are built for. */
  table_classes: number;
}

const UNUSED = new Random(0);   // initial weights are overwritten by the folded ones

/** A convolution with its batch norm folded in: conv, per-channel bias, the BN's activation, in one kernel. */
class FoldedConv extends Conv2d {
  readonly bias = this.param('bias', Tensor.zeros([this.cout]));
  private readonly act?: Activation;
  constructor(u: ConvBn) { super(u.cin, u.cout, u.k, u.stride, UNUSED); this.act = u.act; }
  override forward(x: Tensor): Tensor { return this.apply(x, { bias: this.bias, activation: this.act }); }
}

class FoldedDepthwise extends DepthwiseConv2d {
  readonly bias = this.param('bias', Tensor.zeros([this.channels]));
  private readonly act?: Activation;
  constructor(u: ConvBn) { super(u.cin, u.k, u.stride, UNUSED); this.act = u.act; }
  override forward(x: Tensor): Tensor { return this.apply(x, { bias: this.bias, activation: this.act }); }
}

const foldedUnit = (u: ConvBn) => (u.depthwise ? new FoldedDepthwise(u) : new FoldedConv(u));

/** Where a folded tensor pair comes from in DerivedNet's state dict: a conv and its BN (none: the classifier, copied). */
interface Source { target: string; conv: string; bn?: string }

/** The inference network of an exported model, layer for layer DerivedNet's (nas/derived.ts) with BN folded. */
export class FoldedNet extends Module {
  readonly sources: Source[] = [];
  private readonly body: Sequential;

  constructor(readonly net: NetConfig, shape: { inChannels: number; classes: number; stemStride: 1 | 2 }) {
    super();
    const layers: Module[] = [];
    let src = 0;   // index of the same layer in DerivedNet's body, which also holds the BNs
    /** A stem or conv1_1: DerivedNet's conv and BN, side by side in its body, as one layer. */
    const pushUnit = (l: OpLayers) => {
      this.sources.push({ target: `body.${layers.length}`, conv: `body.${src}`, bn: `body.${src + 1}` });
      layers.push(foldedUnit(l.path[0]));
      src += 2;
    };
    /** An op: each (conv, BN) pair of the same DerivedNet layer folded into its conv. */
    const pushOp = (m: OpModule) => {
      const target = `body.${layers.length}`, from = `body.${src}`;
      for (const u of units(m.layers)) this.sources.push({ target: `${target}.${u.conv}`, conv: `${from}.${u.conv}`, bn: `${from}.${u.bn}` });
      layers.push(m);
      src += 1;
    };
    pushUnit(stemLayers(net.netType, shape.inChannels, derivedStemWidth(net), shape.stemStride, true));
    for (const b of net.blocks) {
      for (const [i, op] of [b.head, ...b.stack].entries()) {
        const l = candidateLayers(op, i ? b.chs[1] : b.chs[0], b.chs[1], (i ? 1 : b.stride) as 1 | 2, true);
        pushOp(new OpModule(l, (u) => [[u.conv, foldedUnit(u)]]));   // each (conv, BN) unit folded into its conv
      }
    }
    let c = net.blocks[net.blocks.length - 1].chs[1];
    if (net.conv1_1) { pushUnit(conv1x1Layers(c, net.conv1_1[1], true)); c = net.conv1_1[1]; }
    layers.push(new GlobalAvgPool());
    this.sources.push({ target: `body.${layers.length}`, conv: `body.${src + 1}` });   // the classifier, copied
    layers.push(new Linear(c, shape.classes, UNUSED));
    this.body = this.child('body', new Sequential(...layers));
  }

  forward(x: Tensor): Tensor { return this.body.forward(x); }
}

/** Folds DerivedNet's state (host tensors by name) into FoldedNet's, in float64 then rounded to float32. */
export function foldState(folded: FoldedNet, state: Record<string, HostTensor>, eps: number): Record<string, HostTensor> {
  const get = (name: string) => {
    const t = state[name];
    if (!t) throw new Error(`fold: the trained weights lack '${name}' (not a model of this net_config?)`);
    return t;
  };
  const out: Record<string, HostTensor> = {};
  for (const { target, conv, bn } of folded.sources) {
    const w = get(`${conv}.weight`);
    if (!bn) { out[`${target}.weight`] = w; out[`${target}.bias`] = get(`${conv}.bias`); continue; }
    const [gamma, beta, mean, v] = ['weight', 'bias', 'running_mean', 'running_var'].map((k) => get(`${bn}.${k}`).data);
    const C = gamma.length, s = Float64Array.from(gamma, (g, c) => g / Math.sqrt(v[c] + eps));
    if (w.shape.at(-1) !== C) throw new Error(`fold: '${conv}.weight' [${w.shape}] does not end in the ${C} channels of '${bn}'`);
    out[`${target}.weight`] = { shape: w.shape, data: Float32Array.from(w.data, (x, i) => x * s[i % C]) };
    out[`${target}.bias`] = { shape: [C], data: Float32Array.from(beta, (b, c) => b - s[c] * mean[c]) };
  }
  return out;
}

/** The config a folded model's net_config.json stands for: enough to shape, count and evaluate it. */
export function foldedConfig(meta: FoldedMeta): Config {
  const cfg = defaultConfig();
  cfg.net_type = meta.net_type;
  cfg.data.input_size = [...meta.input_shape];
  cfg.data.mean = [...meta.mean];
  cfg.data.std = [...meta.std];
  cfg.train_params.num_classes = meta.classes;
  cfg.search_params.num_classes = meta.table_classes;
  cfg.search_params.net_scale.stem_stride = meta.stem_stride;
  return cfg;
}

/**
 * Writes the folded form of a trained DerivedNet (eval-mode BN statistics) to `dir`, with the
 * run's cost table when given; returns the FoldedNet with the folded weights loaded.
 */
export async function exportFolded(model: DerivedNet, cfg: Config, eps: number, dir: string, table?: string): Promise<FoldedNet> {
  const state: Record<string, HostTensor> = {};
  for (const [name, t] of Object.entries(model.stateDict())) state[name] = { shape: [...t.shape], data: await t.toArray() };
  const [c, h, w] = cfg.data.input_size;
  const meta: FoldedMeta = {
    format: FOLDED_FORMAT, folded: true, net_type: model.net.netType, input_shape: [c, h, w], classes: cfg.train_params.num_classes,
    mean: cfg.data.mean, std: cfg.data.std, stem_stride: cfg.search_params.net_scale.stem_stride as 1 | 2, table_classes: cfg.search_params.num_classes,
  };
  const folded = new FoldedNet(model.net, { inChannels: c, classes: meta.classes, stemStride: meta.stem_stride });
  try {
    makeDir(dir);
    writeSafetensors(join(dir, 'model.safetensors'), foldState(folded, state, eps), { format: FOLDED_FORMAT });
    writeFileAtomic(join(dir, 'net_config.json'), JSON.stringify({ ...JSON.parse(netConfigToJson(model.net)), ...meta }) + '\n');
    if (table) writeFileAtomic(join(dir, 'cost_table.json'), readText(table, 'cost table'));
    loadTensors(join(dir, 'model.safetensors'), folded.stateDict());
  } catch (e) {
    folded.dispose();
    throw e;
  }
  return folded;
}

/** True when `dir` holds an exported model (a net_config.json marked folded). */
export function isFoldedDir(dir: string): boolean {
  const p = join(dir, 'net_config.json');
  return existsSync(p) && /"folded"\s*:\s*true/.test(readText(p, 'net_config'));
}

/** Checks the fields an exported model's net_config.json adds, naming the file and the field. */
export function checkFoldedMeta(m: Record<string, unknown>, path: string): FoldedMeta {
  const fail = (k: string, want: string): never => { throw new Error(`${path}: field ${k} must be ${want}, got ${showValue(m[k])}`); };
  const posInt = (v: unknown) => Number.isInteger(v) && (v as number) >= 1;
  if (m.format !== FOLDED_FORMAT) fail('format', `'${FOLDED_FORMAT}'`);
  const shape = m.input_shape;
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every(posInt) || (shape[0] !== 1 && shape[0] !== 3)) fail('input_shape', '[C, H, W] of positive integers with C 1 or 3');
  const c = (shape as number[])[0];
  for (const k of ['classes', 'table_classes']) if (!posInt(m[k])) fail(k, 'a positive integer');
  if (m.stem_stride !== 1 && m.stem_stride !== 2) fail('stem_stride', '1 or 2');
  for (const k of ['mean', 'std']) {
    const v = m[k];
    if (!Array.isArray(v) || (v.length !== 1 && v.length !== c) || !v.every((x) => typeof x === 'number' && Number.isFinite(x) && (k === 'mean' || x > 0))) {
      fail(k, `a list of ${c === 1 ? 'one' : `1 or ${c}`} finite number(s)${k === 'std' ? ' > 0' : ''}`);
    }
  }
  return m as unknown as FoldedMeta;
}

/** Loads an exported model: its FoldedNet with weights (DIR/model.safetensors or `weights`), net_config and meta. */
export function loadFolded(dir: string, weights = join(dir, 'model.safetensors')): { model: FoldedNet; net: NetConfig; meta: FoldedMeta; weights: string } {
  const p = join(dir, 'net_config.json'), text = readText(p, 'net_config');
  const net = parseNetConfigJson(text, `net_config ${p}`);
  const meta = checkFoldedMeta(JSON.parse(text), p);
  const model = new FoldedNet(net, { inChannels: meta.input_shape[0], classes: meta.classes, stemStride: meta.stem_stride });
  try {
    loadTensors(weights, model.stateDict());
  } catch (e) {
    model.dispose();
    throw e;
  }
  return { model, net, meta, weights };
}
