// Records dispatches into one command encoder and submits them in batches. Each dispatch gets
// its own slot in a uniform ring for its shapes, written to the GPU once per batch. A readback
// or a host write to a buffer in use flushes first.
import type { Kernel } from '../kernels/registry.js';
import type { BufferPool } from './memory.js';

const SLOT_BYTES = 256;             // minUniformBufferOffsetAlignment on every adapter
const SLOTS = 512;                  // dispatches per batch before an automatic flush
const TIMESTAMP_PAIRS = 256;        // passes that one timed region may span

export type ParamValue = number | readonly number[];

export class CommandQueue {
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private readonly ring: GPUBuffer;
  private readonly ringData = new ArrayBuffer(SLOTS * SLOT_BYTES);
  private readonly ringView = new DataView(this.ringData);
  private slot = 0;
  private readonly staging = new Map<number, GPUBuffer[]>();
  /** Dispatches since the last completed readback, and the time one took on average. */
  private unsynced = 0;
  private msPerDispatch = 0;
  private timing: { set: GPUQuerySet; pairs: number } | null = null;
  /** Profiling: each dispatch in a pass of its own between two timestamps, by kernel label. */
  private profile: { set: GPUQuerySet; labels: string[]; resolved: Array<{ buffer: GPUBuffer; labels: string[] }> } | null = null;
  dispatchCount = 0;

  constructor(private readonly device: GPUDevice, private readonly pool: BufferPool, private readonly hasTimestamps: boolean) {
    this.ring = device.createBuffer({ size: SLOTS * SLOT_BYTES, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: 'uniform ring' });
  }

  /** Records `kernel` with storage `buffers` by binding name; params the struct lacks are an error, absent ones 0. */
  dispatch(kernel: Kernel, buffers: Record<string, GPUBuffer>, params: Record<string, ParamValue>, workgroups: readonly [number, number?, number?]): void {
    const [x, y = 1, z = 1] = workgroups;
    if (x === 0 || y === 0 || z === 0) return;
    const max = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (x > max || y > max || z > max) throw new RangeError(`${kernel.label}: ${x}x${y}x${z} workgroups exceed the limit of ${max} per dimension`);
    if (this.slot === SLOTS) this.flush();
    const entries: GPUBindGroupEntry[] = [];
    for (const b of kernel.bindings) {
      if (b.type === 'uniform') {
        this.writeParams(kernel, params);
        entries.push({ binding: b.binding, resource: { buffer: this.ring, offset: this.slot * SLOT_BYTES, size: kernel.paramsSize } });
        this.slot++;
      } else {
        const arg = buffers[b.name];
        if (!arg) throw new Error(`${kernel.label}: no buffer given for '${b.name}'`);
        entries.push({ binding: b.binding, resource: { buffer: arg } });
      }
    }
    if (this.profile) this.profileDispatch(kernel.label);
    const pass = this.beginPass();
    pass.setPipeline(kernel.pipeline);
    pass.setBindGroup(0, this.device.createBindGroup({ layout: kernel.layout, entries }));
    pass.dispatchWorkgroups(x, y, z);
    this.unsynced++;
    this.dispatchCount++;
  }

  private writeParams(kernel: Kernel, params: Record<string, ParamValue>): void {
    if (kernel.paramsSize > SLOT_BYTES) throw new Error(`${kernel.label}: params struct of ${kernel.paramsSize} bytes exceeds ${SLOT_BYTES}`);
    for (const name of Object.keys(params)) {
      if (!kernel.params.has(name)) throw new Error(`${kernel.label}: its Params struct has no field '${name}'`);
    }
    const base = this.slot * SLOT_BYTES;
    for (const [name, f] of kernel.params) {
      const v = params[name] ?? 0;
      const values = typeof v === 'number' ? [v] : v;
      for (let i = 0; i < f.count; i++) {
        const o = base + f.offset + i * f.stride;
        const value = values[i] ?? 0;
        if (f.type === 'f32') this.ringView.setFloat32(o, value, true);
        else if (f.type === 'i32') this.ringView.setInt32(o, value, true);
        else this.ringView.setUint32(o, value, true);
      }
    }
  }

  private beginPass(): GPUComputePassEncoder {
    if (this.pass) return this.pass;
    this.encoder ??= this.device.createCommandEncoder();
    let timestampWrites: GPUComputePassTimestampWrites | undefined;
    if (this.timing && this.timing.pairs < TIMESTAMP_PAIRS) {
      const i = this.timing.pairs++;
      timestampWrites = { querySet: this.timing.set, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 };
    }
    this.pass = this.encoder.beginComputePass({ timestampWrites });
    return this.pass;
  }

  private endPass(): GPUCommandEncoder {
    this.pass?.end();
    this.pass = null;
    return (this.encoder ??= this.device.createCommandEncoder());
  }

  /** Records a device-to-device copy. */
  copy(src: GPUBuffer, dst: GPUBuffer, bytes: number): void {
    this.endPass().copyBufferToBuffer(src, 0, dst, 0, Math.ceil(bytes / 4) * 4);
  }

  /** Submits everything recorded so far. */
  flush(): void {
    if (!this.encoder) return;
    const encoder = this.endPass();
    if (this.profile?.labels.length) {
      const { set, labels } = this.profile;
      const buffer = this.device.createBuffer({ size: 16 * labels.length, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
      encoder.resolveQuerySet(set, 0, 2 * labels.length, buffer, 0);
      this.profile.resolved.push({ buffer, labels });
      this.profile.labels = [];
    }
    if (this.slot) this.device.queue.writeBuffer(this.ring, 0, this.ringData, 0, this.slot * SLOT_BYTES);
    this.device.queue.submit([encoder.finish()]);
    this.encoder = null;
    this.slot = 0;
    this.pool.submitted();
  }

  /** Copies `bytes` bytes of `src` into a new ArrayBuffer once the GPU has produced them. */
  async read(src: GPUBuffer, bytes: number, offset = 0, idleMs = 0): Promise<ArrayBuffer> {
    const size = Math.ceil(bytes / 4) * 4;
    const staging = this.stagingBuffer(size);
    this.endPass().copyBufferToBuffer(src, offset, staging, 0, size);
    const pending = this.unsynced;
    this.flush();
    const t0 = performance.now();
    // Dawn's promise wait spins a JavaScript thread that a software adapter needs: sleep
    // through most of the expected work first (or `idleMs` where the caller knows better),
    // then let it spin for the rest.
    const expectMs = pending * this.msPerDispatch;
    const sleepMs = Math.max(expectMs > 2 ? expectMs * 0.8 : 0, idleMs);
    if (sleepMs > 0) await new Promise((r) => setTimeout(r, sleepMs));
    const woke = performance.now();
    await staging.mapAsync(GPUMapMode.READ, 0, size);
    if (pending > 16) this.msPerDispatch = nextMsPerDispatch(this.msPerDispatch, pending, sleepMs > 0 ? woke - t0 : 0, performance.now() - woke);
    this.unsynced = 0;
    const out = staging.getMappedRange(0, size).slice(0, bytes);
    staging.unmap();
    this.staging.get(size)!.push(staging);
    return out;
  }

  /** Writes host data into a buffer; flushes first when recorded work may still use it. */
  write(dst: GPUBuffer, data: ArrayBufferView, offset = 0, fresh = false): void {
    if (!fresh) this.flush();
    this.device.queue.writeBuffer(dst, offset, data.buffer, data.byteOffset, data.byteLength);
  }

  /** Waits until the GPU has finished everything submitted. */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    this.unsynced = 0;
  }

  /**
   * Runs `fn` with every dispatch it records timed by GPU timestamps, and returns the GPU time
   * in milliseconds from the first dispatch to the last (null without timestamp queries).
   * `idleMs`: sleep that long before waiting, so that the wait's spinning thread does not
   * compete with a software adapter for the cores while the timed work runs.
   */
  async timeGpu(fn: () => void | Promise<void>, idleMs = 0): Promise<number | null> {
    if (!this.hasTimestamps) { await fn(); await this.sync(); return null; }
    this.flush();
    const set = this.device.createQuerySet({ type: 'timestamp', count: 2 * TIMESTAMP_PAIRS });
    this.timing = { set, pairs: 0 };
    try {
      await fn();
      const pairs = this.timing.pairs;
      if (pairs === 0) return 0;
      const resolved = this.device.createBuffer({ size: 16 * pairs, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
      this.endPass().resolveQuerySet(set, 0, 2 * pairs, resolved, 0);
      this.timing = null;
      const t = new BigInt64Array(await this.read(resolved, 16 * pairs, 0, idleMs));
      resolved.destroy();
      if (pairs >= TIMESTAMP_PAIRS) return null;
      return Number(t[2 * pairs - 1] - t[0]) / 1e6;
    } finally {
      this.timing = null;
      set.destroy();
    }
  }

  /** Starts timing every dispatch by kernel (slower: one pass per dispatch). */
  startProfile(): void {
    if (!this.hasTimestamps) throw new Error('profiling needs the timestamp-query feature, which this adapter lacks');
    this.flush();
    this.profile = { set: this.device.createQuerySet({ type: 'timestamp', count: 2 * SLOTS }), labels: [], resolved: [] };
  }

  /** Stops profiling; returns GPU milliseconds and dispatch counts by kernel label, largest first. */
  async stopProfile(): Promise<Array<{ kernel: string; ms: number; count: number }>> {
    const prof = this.profile;
    if (!prof) throw new Error('no profile was started');
    this.flush();
    this.profile = null;
    const total = new Map<string, { ms: number; count: number }>();
    for (const { buffer, labels } of prof.resolved) {
      const t = new BigInt64Array(await this.read(buffer, 16 * labels.length));
      buffer.destroy();
      labels.forEach((l, i) => {
        const e = total.get(l) ?? { ms: 0, count: 0 };
        e.ms += Number(t[2 * i + 1] - t[2 * i]) / 1e6; e.count++;
        total.set(l, e);
      });
    }
    prof.set.destroy();
    return [...total].map(([kernel, e]) => ({ kernel, ...e })).sort((a, b) => b.ms - a.ms);
  }

  private profileDispatch(label: string): void {
    const prof = this.profile!;
    if (prof.labels.length === SLOTS) this.flush();
    this.endPass();
    const i = prof.labels.length;
    prof.labels.push(label);
    this.pass = this.encoder!.beginComputePass({ timestampWrites: { querySet: prof.set, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
  }

  private stagingBuffer(size: number): GPUBuffer {
    let list = this.staging.get(size);
    if (!list) this.staging.set(size, (list = []));
    return list.pop() ?? this.device.createBuffer({ size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, label: 'staging' });
  }
}

/**
 * The readback's estimate of GPU time per dispatch, from one readback of `pending` dispatches
 * that slept `sleptMs` and then waited `waitedMs`. Slept time counts only when the wait still
 * had to wait: work that was done before the sleep ended says the estimate was too long (the
 * process was stopped, say by Ctrl-Z, or the machine got faster), and it halves. Counting the
 * sleep then would keep an inflated estimate inflated, the sleep being 0.8 of it.
 */
export function nextMsPerDispatch(estimate: number, pending: number, sleptMs: number, waitedMs: number): number {
  const observed = waitedMs < 1 && sleptMs > 0 ? 0 : (sleptMs + waitedMs) / pending;
  return 0.5 * estimate + 0.5 * observed;
}
