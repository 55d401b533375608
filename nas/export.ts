// Export for inference: every batch norm of a trained derived model folded into the convolution
// before it (in eval mode BN is y = s (x - mean) + beta with s = gamma / sqrt(var + eps), so the
// conv's weights scale by s per output channel and gain a bias beta - s mean), written as
// DIR/model.safetensors with DIR/net_config.json (`folded: true`, the input shape, classes, mean
// and std). FoldedNet is the inference network that runs such a file: conv + bias + activation
// in one kernel where DerivedNet runs conv, BN and a fused activation.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadTensors, writeSafetensors, type HostTensor } from '../engine/checkpoint.js';
import { Conv2d, DepthwiseConv2d, GlobalAvgPool, Linear } from '../engine/nn/layers.js';
import { Module, Sequential } from '../engine/nn/module.js';
import { add, relu } from '../engine/ops/elementwise.js';
import { Random } from '../engine/random.js';
import { Tensor } from '../engine/tensor.js';
import { defaultConfig, type Config } from './config.js';
import type { DerivedNet } from './derived.js';
import { readText, writeFileAtomic } from './io.js';
import { netConfigToJson, parseNetConfigJson, type NetConfig } from './net_config.js';
import { parseOp } from './ops.js';

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

type Act = 'relu' | 'relu6' | undefined;
const UNUSED = new Random(0);   // initial weights are overwritten by the folded ones

/** A convolution with its batch norm folded in: conv, per-channel bias, the BN's activation, in one kernel. */
class FoldedConv extends Conv2d {
  readonly bias = this.param('bias', Tensor.zeros([this.cout]));
  constructor(cin: number, cout: number, k: number, stride: 1 | 2, readonly act: Act, padding = Math.floor(k / 2)) { super(cin, cout, k, stride, UNUSED, padding); }
  override forward(x: Tensor): Tensor { return this.apply(x, { bias: this.bias, activation: this.act }); }
}

class FoldedDepthwise extends DepthwiseConv2d {
  readonly bias = this.param('bias', Tensor.zeros([this.channels]));
  constructor(c: number, k: number, stride: 1 | 2, readonly act: Act) { super(c, k, stride, UNUSED); }
  override forward(x: Tensor): Tensor { return this.apply(x, { bias: this.bias, activation: this.act }); }
}

/** Sub-module name -> the name of its batch norm in the engine block (MBConv, BasicBlock, Skip). */
type Folds = Array<[conv: string, bn: string]>;

class FoldedMBConv extends Module {
  readonly folds: Folds = [];
  private readonly convs: Module[] = [];
  private readonly residual: boolean;
  constructor(cin: number, cout: number, k: number, stride: 1 | 2, t: number) {
    super();
    const mid = cin * t;
    if (t > 1) this.add('expand', 'bn_expand', new FoldedConv(cin, mid, 1, 1, 'relu6'));
    this.add('depthwise', 'bn_depthwise', new FoldedDepthwise(mid, k, stride, 'relu6'));
    this.add('project', 'bn_project', new FoldedConv(mid, cout, 1, 1, undefined));
    this.residual = stride === 1 && cin === cout;
  }
  private add(name: string, bn: string, m: Module) { this.convs.push(this.child(name, m)); this.folds.push([name, bn]); }
  forward(x: Tensor): Tensor {
    const h = this.convs.reduce((y, m) => m.forward(y), x);
    return this.residual ? add(h, x) : h;
  }
}

class FoldedBasicBlock extends Module {
  readonly folds: Folds = [['conv1', 'bn1'], ['conv2', 'bn2']];
  private readonly conv1: FoldedConv;
  private readonly conv2: FoldedConv;
  private readonly shortcut?: FoldedConv;
  constructor(cin: number, cout: number, stride: 1 | 2) {
    super();
    this.conv1 = this.child('conv1', new FoldedConv(cin, cout, 3, stride, 'relu'));
    this.conv2 = this.child('conv2', new FoldedConv(cout, cout, 3, 1, undefined));
    if (stride !== 1 || cin !== cout) {
      this.shortcut = this.child('shortcut', new FoldedConv(cin, cout, 1, stride, undefined, 0));
      this.folds.push(['shortcut', 'bn_shortcut']);
    }
  }
  forward(x: Tensor): Tensor { return relu(add(this.conv2.forward(this.conv1.forward(x)), this.shortcut ? this.shortcut.forward(x) : x)); }
}

class FoldedSkip extends Module {
  readonly folds: Folds = [];
  private readonly conv?: FoldedConv;
  constructor(cin: number, cout: number) {
    super();
    if (cin !== cout) { this.conv = this.child('conv', new FoldedConv(cin, cout, 1, 1, undefined)); this.folds.push(['conv', 'bn']); }
  }
  forward(x: Tensor): Tensor { return this.conv ? this.conv.forward(x) : x; }
}

function foldedBlock(name: string, cin: number, cout: number, stride: 1 | 2): FoldedMBConv | FoldedBasicBlock | FoldedSkip {
  const op = parseOp(name);
  if (!op) throw new Error(`unknown candidate op '${name}'`);
  switch (op.kind) {
    case 'mbconv': return new FoldedMBConv(cin, cout, op.k, stride, op.t);
    case 'basic_block': return new FoldedBasicBlock(cin, cout, stride);
    case 'skip_connect': return new FoldedSkip(cin, cout);
  }
}

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
    const push = (m: Module, folds: Folds, bnNext: boolean) => {
      const target = `body.${layers.length}`, conv = `body.${src}`;
      if (bnNext) this.sources.push({ target, conv, bn: `body.${src + 1}` });
      for (const [c, b] of folds) this.sources.push({ target: `${target}.${c}`, conv: `${conv}.${c}`, bn: `${conv}.${b}` });
      layers.push(m);
      src += bnNext ? 2 : 1;
    };
    const stemOut = net.netType === 'mbv2' ? net.blocks[0].chs[0] : 32;
    push(new FoldedConv(shape.inChannels, stemOut, 3, shape.stemStride, 'relu6'), [], true);
    for (const b of net.blocks) {
      for (const [i, op] of [b.head, ...b.stack].entries()) {
        const m = foldedBlock(op, i ? b.chs[1] : b.chs[0], b.chs[1], (i ? 1 : b.stride) as 1 | 2);
        push(m, m.folds, false);
      }
    }
    let c = net.blocks[net.blocks.length - 1].chs[1];
    if (net.conv1_1) { push(new FoldedConv(c, net.conv1_1[1], 1, 1, 'relu6', 0), [], true); c = net.conv1_1[1]; }
    push(new GlobalAvgPool(), [], false);
    this.sources.push({ target: `body.${layers.length}`, conv: `body.${src}` });
    push(new Linear(c, shape.classes, UNUSED), [], false);
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
    mkdirSync(dir, { recursive: true });
    writeSafetensors(join(dir, 'model.safetensors'), foldState(folded, state, eps), { format: FOLDED_FORMAT });
    writeFileAtomic(join(dir, 'net_config.json'), JSON.stringify({ ...JSON.parse(netConfigToJson(model.net)), ...meta }) + '\n');
    if (table) copyFileSync(table, join(dir, 'cost_table.json'));
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

/** Loads an exported model: its FoldedNet with weights (DIR/model.safetensors or `weights`), net_config and meta. */
export function loadFolded(dir: string, weights = join(dir, 'model.safetensors')): { model: FoldedNet; net: NetConfig; meta: FoldedMeta; weights: string } {
  const p = join(dir, 'net_config.json'), text = readText(p, 'net_config');
  const net = parseNetConfigJson(text, `net_config ${p}`);
  const meta = JSON.parse(text) as FoldedMeta;
  if (meta.format !== FOLDED_FORMAT) throw new Error(`${p}: format ${JSON.stringify(meta.format)}, expected '${FOLDED_FORMAT}'`);
  for (const k of ['input_shape', 'classes', 'mean', 'std', 'stem_stride', 'table_classes'] as const) if (meta[k] === undefined) throw new Error(`${p}: missing field ${k}`);
  const model = new FoldedNet(net, { inChannels: meta.input_shape[0], classes: meta.classes, stemStride: meta.stem_stride });
  try {
    loadTensors(weights, model.stateDict());
  } catch (e) {
    model.dispose();
    throw e;
  }
  return { model, net, meta, weights };
}
