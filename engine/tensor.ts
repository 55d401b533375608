// Tensor: a float32, contiguous GPU array with a shape (images are NHWC), and the engine's
// autograd. Memory is released by scopes: every tensor made inside `tidy` is disposed when it
// ends unless it is returned or `keep`-ed; tensors made outside any scope are the caller's.
// Ops record what their backward needs (`record`); `backward()` walks the recorded graph in
// reverse, frees each gradient once it has been consumed, and releases the graph behind it.
import { dispatch } from './dispatch.js';
import type { Random } from './random.js';
import { runtime } from './runtime.js';

/** One GPU buffer, shared by a tensor and its reshaped views. */
class Storage {
  refs = 1;
  constructor(readonly buffer: GPUBuffer) {}
}

export interface GradFn {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  /** Gradients for each input given the output's gradient (null where an input needs none). */
  backward(grad: Tensor): (Tensor | null)[];
  /** Set once a backward has run through it: a second one would count its gradients twice. */
  readonly released?: true;
}

export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`invalid shape [${shape.join(', ')}]`);
    n *= d;
  }
  return n;
}

const scopes: Set<Tensor>[] = [];
let gradEnabled = true;

export class Tensor {
  readonly shape: Shape;
  readonly size: number;
  requiresGrad: boolean;
  grad: Tensor | null = null;
  gradFn: GradFn | null = null;
  /** The op that made this tensor, kept when disposal drops `gradFn`, for error messages. */
  private disposedOp: string | null = null;
  private storage: Storage | null;

  private constructor(shape: Shape, storage: Storage, requiresGrad = false) {
    this.shape = Object.freeze([...shape]);
    this.size = sizeOf(shape);
    this.storage = storage;
    this.requiresGrad = requiresGrad;
    scopes.at(-1)?.add(this);
  }

  /** A tensor with uninitialised contents (NaN when the runtime poisons, as tests do). */
  static empty(shape: Shape, what = 'tensor'): Tensor {
    const t = Tensor.alloc(shape, what);
    const rt = runtime();
    if (rt.poison) fill(t, NaN);
    return t;
  }

  private static alloc(shape: Shape, what: string): Tensor {
    const buffer = runtime().pool.acquire(Math.max(4, sizeOf(shape) * 4), `${what} [${shape.join(', ')}]`);
    return new Tensor(shape, new Storage(buffer));
  }

  static fromArray(data: ArrayLike<number>, shape: Shape, requiresGrad = false): Tensor {
    const n = sizeOf(shape);
    if (data.length !== n) throw new RangeError(`fromArray: ${data.length} values do not fill shape [${shape.join(', ')}] (${n})`);
    const t = Tensor.alloc(shape, 'tensor');  // a free buffer: no recorded work touches it
    const f32 = data instanceof Float32Array ? data : Float32Array.from(data);
    if (n) runtime().queue.write(t.buffer, f32, 0, true);
    t.requiresGrad = requiresGrad;
    return t;
  }

  static full(shape: Shape, value: number): Tensor {
    const t = Tensor.empty(shape);
    fill(t, value);
    return t;
  }

  static zeros(shape: Shape): Tensor { return Tensor.full(shape, 0); }

  /** Normal(0, std) values drawn on the CPU from `rng`, so runs are reproducible on any device. */
  static randn(shape: Shape, rng: Random, std = 1, requiresGrad = false): Tensor {
    const data = new Float32Array(sizeOf(shape));
    for (let i = 0; i < data.length; i++) data[i] = rng.normal() * std;
    return Tensor.fromArray(data, shape, requiresGrad);
  }

  get buffer(): GPUBuffer {
    if (!this.storage) throw new Error(`tensor [${this.shape.join(', ')}] used after it was disposed`);
    return this.storage.buffer;
  }

  get disposed(): boolean { return this.storage === null; }

  /** Replaces the contents with host data of the same size. */
  write(data: ArrayLike<number>): void {
    if (data.length !== this.size) throw new RangeError(`write: ${data.length} values for a tensor of ${this.size}`);
    runtime().queue.write(this.buffer, data instanceof Float32Array ? data : Float32Array.from(data));
  }

  async toArray(): Promise<Float32Array> {
    if (this.size === 0) return new Float32Array(0);
    const rt = runtime();
    const data = new Float32Array(await rt.queue.read(this.buffer, this.size * 4));
    rt.device.assertAlive();   // results of work that Dawn rejected are not results
    return data;
  }

  async item(): Promise<number> {
    if (this.size !== 1) throw new RangeError(`item: tensor [${this.shape.join(', ')}] has ${this.size} elements, not 1`);
    return (await this.toArray())[0];
  }

  /** The same data under another shape of the same size; gradients flow through. */
  reshape(shape: Shape): Tensor {
    if (sizeOf(shape) !== this.size) throw new RangeError(`reshape: [${this.shape.join(', ')}] to [${shape.join(', ')}] changes the size`);
    const storage = this.storage;
    if (!storage) throw new Error(`reshape of a disposed tensor [${this.shape.join(', ')}]`);
    storage.refs++;
    const out = new Tensor(shape, storage);
    const input = this;
    record(out, 'reshape', [input], (g) => [g.reshape(input.shape)]);
    return out;
  }

  /** A view of the same data that autograd does not follow. */
  detach(): Tensor {
    const storage = this.storage;
    if (!storage) throw new Error(`detach of a disposed tensor [${this.shape.join(', ')}]`);
    storage.refs++;
    return new Tensor(this.shape, storage);
  }

  /** Back-propagates from this tensor (a scalar unless `grad`, its gradient, is given). */
  backward(grad?: Tensor): void {
    if (!this.requiresGrad) throw new Error(`backward: ${this} does not require a gradient (no input of it does)`);
    if (!grad && this.size !== 1) throw new RangeError(`backward: ${this} is not a scalar; pass its gradient`);
    if (grad && grad.size !== this.size) throw new RangeError(`backward: gradient ${grad} for ${this}`);
    noGrad(() => backpropagate(this, grad));
  }

  /** Where a tensor comes from, for messages: its shape and the op that made it. */
  describe(): string {
    const op = this.gradFn?.op ?? this.disposedOp;
    return `${this}${op ? ` made by ${op}` : ' (a leaf)'}`;
  }

  /** True when another tensor views the same buffer (a reshape or detach of it). */
  get shared(): boolean { return (this.storage?.refs ?? 0) > 1; }

  dispose(): void {
    const s = this.storage;
    if (!s) return;
    this.storage = null;
    this.disposedOp = this.gradFn?.op ?? null;
    this.gradFn = null;
    for (const scope of scopes) scope.delete(this);
    if (--s.refs === 0) runtime().pool.release(s.buffer);
  }

  toString(): string { return `Tensor[${this.shape.join(', ')}]`; }
}

function fill(t: Tensor, value: number): void {
  if (t.size) dispatch('elementwise', 'fill', { out: t }, { n: t.size, alpha: value }, t.size, runtime().tuning.elementwise);
}

/** out = alpha a + beta b over same-size tensors (out may be a: accumulation), vec4 where the size allows. */
function axpby(out: Tensor, a: Tensor, b: Tensor, alpha: number, beta: number): void {
  const v4 = out.size % 4 === 0, n = v4 ? out.size / 4 : out.size;
  const tuning = runtime().tuning.elementwise;
  if (out === a) dispatch('elementwise', v4 ? 'accumulate4' : 'accumulate', { out, a: b }, { n, alpha: beta }, n, tuning);
  else dispatch('elementwise', v4 ? 'axpby4' : 'axpby', { out, a, b }, { n, alpha, beta }, n, tuning);
}

// ---- scopes --------------------------------------------------------------------------------

function collect(value: unknown, out: Set<Tensor>): void {
  if (value instanceof Tensor) out.add(value);
  else if (Array.isArray(value)) for (const v of value) collect(v, out);
  else if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collect(v, out);
  }
}

function endScope(result: unknown): void {
  const scope = scopes.pop()!;
  const returned = new Set<Tensor>();
  collect(result, returned);
  for (const t of scope) {
    if (returned.has(t)) scopes.at(-1)?.add(t);
    else t.dispose();
  }
}

/** Runs `fn`, then disposes every tensor it created except those in its (plain) return value. */
export function tidy<T>(fn: () => T): T {
  scopes.push(new Set());
  let result: T | undefined;
  try {
    result = fn();
    return result;
  } finally {
    endScope(result);
  }
}

/** `tidy` for async work. Scopes nest; do not interleave two of them concurrently. */
export async function tidyAsync<T>(fn: () => Promise<T>): Promise<T> {
  scopes.push(new Set());
  let result: T | undefined;
  try {
    result = await fn();
    return result;
  } finally {
    endScope(result);
  }
}

/** Takes a tensor out of every scope: it lives until disposed explicitly. */
export function keep<T extends Tensor>(t: T): T {
  for (const scope of scopes) scope.delete(t);
  return t;
}

// ---- autograd --------------------------------------------------------------------------------

export function isGradEnabled(): boolean { return gradEnabled; }

/** Runs `fn` with gradient recording off (evaluation, measurement). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try { return fn(); } finally { gradEnabled = prev; }
}

export async function noGradAsync<T>(fn: () => Promise<T>): Promise<T> {
  const prev = gradEnabled;
  gradEnabled = false;
  try { return await fn(); } finally { gradEnabled = prev; }
}

/** Attaches a backward function to `out` when some input needs a gradient. */
export function record(out: Tensor, op: string, inputs: readonly Tensor[], backward: (grad: Tensor) => (Tensor | null)[]): Tensor {
  if (gradEnabled && inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    out.gradFn = { op, inputs, backward };
  }
  return out;
}

/** Topological order of every tensor that `root` depends on through recorded ops; checks that all can be walked. */
function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>([root]);
  const stack: Array<[Tensor, number]> = [[root, 0]];
  while (stack.length) {
    const top = stack[stack.length - 1];
    const t = top[0];
    if (t.disposed) {
      throw new Error(`backward: ${t.describe()} was disposed before backward reached it (by the end of a tidy scope?); ` +
        'call backward inside the scope that made the graph, or keep() the tensors it needs');
    }
    if (t.gradFn?.released) {
      throw new Error(`backward: the graph through ${t.describe()} was already back-propagated; ` +
        'a second backward would add its gradients again: run the forward again');
    }
    const inputs = t.gradFn?.inputs ?? [];
    if (top[1] < inputs.length) {
      const next = inputs[top[1]++];
      if (next.requiresGrad && !seen.has(next)) { seen.add(next); stack.push([next, 0]); }
    } else {
      order.push(t);
      stack.pop();
    }
  }
  return order;
}

/**
 * Reverse-mode differentiation from `root` with gradient `seed` (ones when absent). Gradients the
 * walk creates are its own: each is freed once consumed, summed in place where nothing else
 * holds it, and handed to a leaf as its `.grad` without a copy. Leaf gradients outlive every scope.
 */
function backpropagate(root: Tensor, seed?: Tensor): void {
  const order = topoOrder(root);
  const made = new Set<Tensor>();   // tensors created during the walk: the walk may free or overwrite them
  scopes.push(made);
  const pending = new Map<Tensor, Tensor>();   // tensor -> gradient so far
  const holders = new Map<Tensor, number>();   // gradient -> pending entries holding it
  const hold = (g: Tensor, d: number) => holders.set(g, (holders.get(g) ?? 0) + d);
  const free = (g: Tensor) => { if (made.has(g) && !holders.get(g)) g.dispose(); };
  const own = (g: Tensor) => made.has(g) && !holders.get(g) && !g.shared;
  try {
    const start = seed ?? Tensor.full(root.shape, 1);
    pending.set(root, start); hold(start, 1);
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i];
      const g = pending.get(t);
      if (!g) continue;
      pending.delete(t); hold(g, -1);
      const fn = t.gradFn;
      if (!fn) {
        if (t.grad) { axpby(t.grad, t.grad, g, 1, 1); free(g); }
        else if (own(g)) t.grad = keep(g);
        else { const c = Tensor.empty(g.shape, 'gradient'); axpby(c, g, g, 1, 0); t.grad = keep(c); }
        continue;
      }
      const inputGrads = fn.backward(g);
      t.gradFn = { op: fn.op, inputs: [], backward: () => [], released: true };
      const consumed = new Set<Tensor>([g]);
      fn.inputs.forEach((input, k) => {
        const gi = inputGrads[k];
        if (!gi) return;
        consumed.add(gi);
        if (!input.requiresGrad) return;
        const prev = pending.get(input);
        if (!prev) { pending.set(input, gi); hold(gi, 1); return; }
        hold(prev, -1);
        // In place only into a gradient nothing else holds or views, and that this op does not hand on.
        if (prev !== gi && own(prev) && !inputGrads.includes(prev)) {
          axpby(prev, prev, gi, 1, 1);
          hold(prev, 1);
          return;
        }
        const sum = Tensor.empty(prev.shape, 'gradient');
        axpby(sum, prev, gi, 1, 1);
        pending.set(input, sum); hold(sum, 1);
        consumed.add(prev);
      });
      for (const c of consumed) free(c);
    }
  } finally {
    scopes.pop();
    for (const t of made) if (!t.disposed) { if (pending.size) scopes.at(-1)?.add(t); else t.dispose(); }
  }
}
