// Tensor: a float32, contiguous GPU array with a shape (images are NHWC), plus what autograd
// needs. Memory is released by scopes: every tensor made inside `tidy` is disposed when it
// ends unless it is returned or `keep`-ed; tensors made outside any scope are the caller's.
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

  dispose(): void {
    const s = this.storage;
    if (!s) return;
    this.storage = null;
    this.gradFn = null;
    for (const scope of scopes) scope.delete(this);
    if (--s.refs === 0) runtime().pool.release(s.buffer);
  }

  toString(): string { return `Tensor[${this.shape.join(', ')}]`; }
}

function fill(t: Tensor, value: number): void {
  const rt = runtime();
  if (t.size) rt.run('elementwise', 'fill', { out: t.buffer }, { n: t.size, alpha: value, beta: 0, offset: 0 }, grid(t.size), rt.tuning.elementwise);
}

/** One-dimensional launch grid for `n` elements at `perGroup` elements a workgroup. */
export function grid(n: number, perGroup = runtime().tuning.elementwise.WG): [number, number] {
  const groups = Math.ceil(n / perGroup);
  const x = Math.min(groups, 65535);
  return [x, Math.ceil(groups / x) || 1];
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

// ---- autograd recording --------------------------------------------------------------------

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
