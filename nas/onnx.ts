// ONNX export of a folded model (nas/export.ts): the same network as FoldedNet, layer for layer,
// as a standard ONNX graph (opset 13) encoded with protobufjs through the ONNX schema (onnx-proto).
// ONNX users feed NCHW batches, so the graph takes [N, C, H, W] and its weights are transposed
// from the engine's HWIO / HWC layouts; class names and the preprocessing go into the metadata.
import onnxProto from 'onnx-proto';
import type { HostTensor } from '../engine/checkpoint.js';
import type { FoldedMeta, FoldedNet } from './export.js';
import { writeFileAtomic } from './io.js';
import { candidateLayers, type ConvBn } from './op_layers.js';

const { onnx } = onnxProto;
export const ONNX_OPSET = 13;
const INPUT = 'input', OUTPUT = 'logits';

/** What an exported ONNX file says about itself beside the graph (ModelProto.metadata_props). */
export interface OnnxExport {
  path: string;
  inputName: string;
  outputName: string;
  /** [C, H, W] of one image. */
  inputShape: [number, number, number];
  metadata: Record<string, string>;
}

/** Graph builder: initializers, nodes and fresh value names. */
class Graph {
  readonly nodes: onnxProto.onnx.INodeProto[] = [];
  readonly inits: onnxProto.onnx.ITensorProto[] = [];
  private n = 0;
  constructor(private readonly state: Record<string, HostTensor>) {}

  fresh(hint: string): string { return `${hint}_${this.n++}`; }

  init(name: string, dims: number[], values: ArrayLike<number>): string {
    const data = Float32Array.from(values);   // raw_data: little-endian float32, as typed arrays are here
    this.inits.push({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(data.buffer) });
    return name;
  }

  node(op: string, inputs: string[], attrs: onnxProto.onnx.IAttributeProto[] = [], hint = op.toLowerCase()): string {
    const out = this.fresh(hint);
    this.nodes.push({ opType: op, input: inputs, output: [out], name: out, attribute: attrs });
    return out;
  }

  tensor(name: string): HostTensor {
    const t = this.state[name];
    if (!t) throw new Error(`onnx: the folded model lacks '${name}'`);
    return t;
  }

  /** A folded convolution (conv + bias, then its activation) from HWIO (k > 1), [Cin, Cout] (1x1) or HWC (depthwise) weights. */
  conv(prefix: string, x: string, o: ConvSpec): string {
    const w = this.tensor(`${prefix}.weight`), b = this.tensor(`${prefix}.bias`);
    const k = o.k, cout = b.data.length, cin = o.depthwise ? 1 : w.data.length / (k * k * cout);
    // ONNX: [Cout, Cin/group, kH, kW]; engine: w[((y * k + x) * cin + i) * cout + o] (depthwise: cin 1, cout = channels)
    const onnxW = new Float32Array(w.data.length);
    for (let oc = 0; oc < cout; oc++) {
      for (let i = 0; i < cin; i++) {
        for (let p = 0; p < k * k; p++) onnxW[(oc * cin + i) * k * k + p] = w.data[(p * cin + i) * cout + oc];
      }
    }
    const attrs: onnxProto.onnx.IAttributeProto[] = [
      ints('kernel_shape', [k, k]), ints('strides', [o.stride, o.stride]), ints('pads', [o.pad, o.pad, o.pad, o.pad]),
    ];
    if (o.depthwise) attrs.push({ name: 'group', type: onnx.AttributeProto.AttributeType.INT, i: cout });
    const weights = [this.init(`${prefix}.weight`, [cout, cin, k, k], onnxW), this.init(`${prefix}.bias`, [cout], b.data)];
    const y = this.node('Conv', [x, ...weights], attrs, prefix.replace(/\./g, '_'));
    return this.act(y, o.act);
  }

  act(x: string, act?: 'relu' | 'relu6'): string {
    if (act === 'relu') return this.node('Relu', [x]);
    if (act === 'relu6') {
      if (!this.inits.some((t) => t.name === 'relu6_min')) {
        this.init('relu6_min', [], [0]);
        this.init('relu6_max', [], [6]);
      }
      return this.node('Clip', [x, 'relu6_min', 'relu6_max'], [], 'relu6');
    }
    return x;
  }
}

interface ConvSpec { k: number; stride: number; pad: number; depthwise?: boolean; act?: 'relu' | 'relu6' }

const ints = (name: string, v: number[]): onnxProto.onnx.IAttributeProto =>
  ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: v });

/** The ONNX graph of FoldedNet (nas/export.ts), built in the same order and with the same parameter names. */
function buildGraph(model: FoldedNet, meta: FoldedMeta, state: Record<string, HostTensor>): Graph {
  const g = new Graph(state), net = model.net;
  let layer = 0;
  const at = () => `body.${layer++}`;
  let x = g.conv(at(), INPUT, { k: 3, stride: meta.stem_stride, pad: 1, act: 'relu6' });
  for (const b of net.blocks) {
    for (const [i, name] of [b.head, ...b.stack].entries()) {
      const p = at(), cin = i ? b.chs[1] : b.chs[0], cout = b.chs[1], stride = i ? 1 : b.stride;
      // the op's description (nas/op_layers.ts), each conv + BN folded into one conv with bias
      const l = candidateLayers(name, cin, cout, stride as 1 | 2, true);
      const unit = (h: string, u: ConvBn) =>
        g.conv(`${p}.${u.conv}`, h, { k: u.k, stride: u.stride, pad: Math.floor(u.k / 2), depthwise: u.depthwise, act: u.act });
      const h = l.path.reduce(unit, x);
      const s = l.shortcut === 'identity' ? x : l.shortcut === 'none' ? undefined : l.shortcut.reduce(unit, x);
      x = g.act(s === undefined ? h : g.node('Add', [h, s]), l.act);
    }
  }
  if (net.conv1_1) x = g.conv(at(), x, { k: 1, stride: 1, pad: 0, act: 'relu6' });
  layer++;   // the global average pool has no parameters
  x = g.node('Flatten', [g.node('GlobalAveragePool', [x])], [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }]);
  const fc = at(), w = g.tensor(`${fc}.weight`), bias = g.tensor(`${fc}.bias`);
  const input = [x, g.init(`${fc}.weight`, w.shape, w.data), g.init(`${fc}.bias`, bias.shape, bias.data)];
  g.nodes.push({ opType: 'Gemm', input, output: [OUTPUT], name: 'classifier' });   // [N, in] x [in, out] + bias
  return g;
}

/**
 * Writes `path` (model.onnx): the folded model as ONNX, input 'input' [N, C, H, W] normalised as
 * the metadata says, output 'logits' [N, classes].
 */
export async function writeOnnx(path: string, model: FoldedNet, meta: FoldedMeta, extra: Record<string, string> = {}):
    Promise<OnnxExport> {
  const state: Record<string, HostTensor> = {};
  for (const [name, t] of Object.entries(model.stateDict())) state[name] = { shape: [...t.shape], data: await t.toArray() };
  const g = buildGraph(model, meta, state);
  const [c, h, w] = meta.input_shape;
  const dims = (d: Array<number | string>) => ({ dim: d.map((v) => (typeof v === 'string' ? { dimParam: v } : { dimValue: v })) });
  const value = (name: string, d: Array<number | string>) =>
    ({ name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: dims(d) } } });
  const metadata: Record<string, string> = {
    format: meta.format, net_type: meta.net_type, input_layout: 'NCHW', input_shape: JSON.stringify(meta.input_shape),
    classes: String(meta.classes), mean: JSON.stringify(meta.mean), std: JSON.stringify(meta.std),
    preprocessing: `decode, ${c === 1 ? 'grey (ITU-R 601 luma)' : 'RGB'}, center crop of the whole image, `
      + `bilinear resize to ${h}x${w}, x/255, (x - mean) / std per channel`,
    ...extra,
  };
  const modelProto = onnx.ModelProto.create({
    irVersion: 7, producerName: 'densenas-webgpu', producerVersion: '1', domain: 'densenas',
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    metadataProps: Object.entries(metadata).map(([key, v]) => ({ key, value: v })),
    graph: {
      name: 'densenas', node: g.nodes, initializer: g.inits,
      input: [value(INPUT, ['batch', c, h, w])], output: [value(OUTPUT, ['batch', meta.classes])],
    },
  });
  writeFileAtomic(path, onnx.ModelProto.encode(modelProto).finish());
  return { path, inputName: INPUT, outputName: OUTPUT, inputShape: [c, h, w], metadata };
}
