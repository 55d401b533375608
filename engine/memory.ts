// GPU buffers come from a pool keyed by rounded size. A released buffer waits in `pending`
// until the submission that last used it has been handed to the queue, so a host write to a
// recycled buffer can never overtake a dispatch that still reads its old contents.
import './webgpu.js';

export const BUFFER_USAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/** Rounds up to 1, 1.25, 1.5 or 1.75 times a power of two (at most 25% waste), at least 256 bytes. */
export function sizeClass(bytes: number): number {
  if (bytes <= 256) return 256;
  const p = 2 ** Math.floor(Math.log2(bytes));
  const step = p / 4;
  return Math.ceil(bytes / step) * step;
}

export interface MemoryStats {
  /** Buffers handed out and not yet released. */
  liveBuffers: number;
  liveBytes: number;
  /** Buffers held by the pool for reuse (free or waiting for their submission). */
  pooledBuffers: number;
  pooledBytes: number;
  /** Peak of liveBytes since the pool was created or `resetPeak` was called. */
  peakBytes: number;
  createdBuffers: number;
}

export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  private pending: GPUBuffer[] = [];
  private readonly live = new Set<GPUBuffer>();
  private stats = { liveBytes: 0, pooledBuffers: 0, pooledBytes: 0, peakBytes: 0, createdBuffers: 0 };

  constructor(private readonly device: GPUDevice, private readonly maxBindingBytes: number) {}

  acquire(bytes: number, what: string): GPUBuffer {
    if (bytes > this.maxBindingBytes) {
      throw new RangeError(`${what}: ${bytes} bytes exceed this adapter's storage-binding limit of ${this.maxBindingBytes} bytes; split the batch or the tensor`);
    }
    const size = sizeClass(bytes);
    let buf = this.free.get(size)?.pop();
    if (buf) {
      this.stats.pooledBuffers--; this.stats.pooledBytes -= size;
    } else {
      buf = this.device.createBuffer({ size, usage: BUFFER_USAGE, label: what });
      this.stats.createdBuffers++;
    }
    this.live.add(buf);
    this.stats.liveBytes += size;
    this.stats.peakBytes = Math.max(this.stats.peakBytes, this.stats.liveBytes);
    return buf;
  }

  release(buf: GPUBuffer): void {
    if (!this.live.delete(buf)) throw new Error('buffer released twice or not from this pool');
    this.stats.liveBytes -= buf.size;
    this.stats.pooledBuffers++; this.stats.pooledBytes += buf.size;
    this.pending.push(buf);
  }

  /** Called once the recorded work has been submitted: pending buffers become reusable. */
  submitted(): void {
    for (const buf of this.pending) {
      let list = this.free.get(buf.size);
      if (!list) this.free.set(buf.size, (list = []));
      list.push(buf);
    }
    this.pending = [];
  }

  /** Gives pooled (not live) memory back to the driver. */
  trim(): void {
    for (const list of this.free.values()) for (const b of list) { this.stats.pooledBytes -= b.size; b.destroy(); }
    this.stats.pooledBuffers = this.pending.length;
    this.free.clear();
  }

  resetPeak(): void { this.stats.peakBytes = this.stats.liveBytes; }

  memory(): MemoryStats {
    return { liveBuffers: this.live.size, ...this.stats };
  }
}
