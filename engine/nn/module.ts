// Module: a tree of named parameters (tensors that train), buffers (state that does not, such as
// batch-norm running statistics) and child modules, in the style of PyTorch's nn.Module.
// `A` is the tuple of `forward`'s arguments: one tensor for a layer, more for a module that
// also takes what to run (the supernet takes the sampled ops and their mixing weights).
import { keep, type Tensor } from '../tensor.js';

/** A module of any forward signature, as held in a tree. */
export type AnyModule = Module<any>;

export abstract class Module<A extends unknown[] = [x: Tensor]> {
  training = true;
  private readonly ownParams = new Map<string, Tensor>();
  private readonly ownBuffers = new Map<string, Tensor>();
  private readonly children = new Map<string, AnyModule>();

  abstract forward(...args: A): Tensor;

  /** Registers a trainable tensor; it outlives every scope and requires a gradient. */
  protected param(name: string, t: Tensor): Tensor {
    t.requiresGrad = true;
    this.ownParams.set(name, keep(t));
    return t;
  }

  protected buffer(name: string, t: Tensor): Tensor {
    this.ownBuffers.set(name, keep(t));
    return t;
  }

  protected child<M extends AnyModule>(name: string, m: M): M {
    this.children.set(name, m);
    return m;
  }

  namedParameters(prefix = ''): Array<[string, Tensor]> {
    const out: Array<[string, Tensor]> = [];
    for (const [n, t] of this.ownParams) out.push([prefix + n, t]);
    for (const [n, m] of this.children) out.push(...m.namedParameters(`${prefix}${n}.`));
    return out;
  }

  namedBuffers(prefix = ''): Array<[string, Tensor]> {
    const out: Array<[string, Tensor]> = [];
    for (const [n, t] of this.ownBuffers) out.push([prefix + n, t]);
    for (const [n, m] of this.children) out.push(...m.namedBuffers(`${prefix}${n}.`));
    return out;
  }

  parameters(): Tensor[] { return this.namedParameters().map(([, t]) => t); }

  modules(): AnyModule[] { return [this, ...[...this.children.values()].flatMap((m) => m.modules())]; }

  /** Parameters and buffers by dotted name: what a checkpoint holds. */
  stateDict(): Record<string, Tensor> {
    return Object.fromEntries([...this.namedParameters(), ...this.namedBuffers()]);
  }

  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  eval(): this { return this.train(false); }

  /** Frees every parameter, gradient and buffer on the GPU. */
  dispose(): void {
    for (const [, t] of [...this.namedParameters(), ...this.namedBuffers()]) { t.grad?.dispose(); t.dispose(); }
  }
}

/** Applies child modules in order. */
export class Sequential extends Module {
  private readonly layers: Module[];
  constructor(...layers: Module[]) {
    super();
    this.layers = layers.map((m, i) => this.child(String(i), m));
  }
  forward(x: Tensor): Tensor {
    for (const m of this.layers) x = m.forward(x);
    return x;
  }
}
