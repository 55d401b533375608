// Networks built from a net_config (spec 5.5): the MobileNetV2-based MBV2_Net (stem conv, the
// blocks, the final 1x1 conv, pooling, linear) and the ResNet-based RES_Net (stem conv, the
// blocks, pooling, linear), for any input size and class count. All batch norms are affine.
import { GlobalAvgPool, Linear } from '../engine/nn/layers.js';
import { Module, Sequential } from '../engine/nn/module.js';
import type { Random } from '../engine/random.js';
import type { Tensor } from '../engine/tensor.js';
import { archShapeOf } from './arch_summary.js';
import { candidateModule, convBnModules } from './candidates.js';
import type { Config } from './config.js';
import type { NetConfig } from './net_config.js';
import { conv1x1Layers, derivedStemWidth, stemLayers } from './op_layers.js';

export interface DerivedShape { inChannels: number; classes: number; stemStride: 1 | 2; bn: { eps: number; momentum: number } }

/** BN settings of the original derived models: mbv2 sets eps 1e-3; RES_Net keeps the default 1e-5. */
export function derivedBn(net: NetConfig, bnEps: number, bnMomentum: number) {
  return net.netType === 'mbv2' ? { eps: bnEps, momentum: bnMomentum } : { eps: 1e-5, momentum: 0.1 };
}

export class DerivedNet extends Module {
  private readonly body: Sequential;

  constructor(readonly net: NetConfig, shape: DerivedShape, rng: Random) {
    super();
    const bn = { bn: shape.bn, affine: true };
    const stemOut = derivedStemWidth(net);
    // The stem and conv1_1 stand in the body as a conv and a BN side by side (the state-dict layout).
    const stem = stemLayers(net.netType, shape.inChannels, stemOut, shape.stemStride, true).path[0];
    const layers: Module[] = convBnModules(stem, rng, shape.bn);
    let c = stemOut;
    net.blocks.forEach((b) => {
      if (b.chs[0] !== c) throw new Error(`net_config: block ${formatBlock(b)} takes ${b.chs[0]} channels but the previous layer gives ${c}`);
      layers.push(candidateModule(b.head, b.chs[0], b.chs[1], b.stride as 1 | 2, rng, bn));
      for (const op of b.stack) layers.push(candidateModule(op, b.chs[1], b.chs[1], 1, rng, bn));
      c = b.chs[1];
    });
    if (net.conv1_1) {
      if (net.conv1_1[0] !== c) throw new Error(`net_config: conv1_1 takes ${net.conv1_1[0]} channels but the last block gives ${c}`);
      layers.push(...convBnModules(conv1x1Layers(c, net.conv1_1[1], true).path[0], rng, shape.bn));
      c = net.conv1_1[1];
    }
    layers.push(new GlobalAvgPool(), new Linear(c, shape.classes, rng));
    this.body = this.child('body', new Sequential(...layers));
  }

  forward(x: Tensor): Tensor { return this.body.forward(x); }
}

/** The derived model of a net_config at a config's input shape and BN settings, with `classes` outputs (default train_params.num_classes). */
export function derivedFor(net: NetConfig, cfg: Config, rng: Random, classes = cfg.train_params.num_classes): DerivedNet {
  const s = archShapeOf(cfg, classes);
  const bn = derivedBn(net, cfg.optim.bn_eps, cfg.optim.bn_momentum);
  return new DerivedNet(net, { inChannels: s.inChannels, classes: s.classes, stemStride: s.stemStride as 1 | 2, bn }, rng);
}

function formatBlock(b: NetConfig['blocks'][number]): string {
  return `[[${b.chs.join(', ')}], '${b.head}', ...]`;
}
