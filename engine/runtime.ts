// The engine's process-wide state: one device with its buffer pool, command queue, kernel
// registry and tunings. `init()` creates it, `destroy()` ends it; ops find it with `runtime()`.
import { KernelRegistry } from '../kernels/registry.js';
import { Device, type DeviceOptions } from './device.js';
import { BufferPool } from './memory.js';
import { CommandQueue } from './queue.js';
import { tuningFor, type Tuning } from './tuning.js';

export class Runtime {
  readonly pool: BufferPool;
  readonly queue: CommandQueue;
  readonly kernels: KernelRegistry;
  readonly tuning: Tuning;
  /** Fill every new tensor with NaN, so a kernel that leaves an element unwritten is caught (tests). */
  poison = false;

  constructor(readonly device: Device) {
    this.pool = new BufferPool(device.gpu, device.maxBindingBytes);
    this.queue = new CommandQueue(device.gpu, this.pool, device.hasTimestamps);
    this.kernels = new KernelRegistry(device.gpu);
    this.tuning = tuningFor(device.info.kind);
  }
}

let current: Runtime | null = null;

/** Creates the engine's device. Call once; `destroy()` releases it. */
export async function init(options: DeviceOptions = {}): Promise<Runtime> {
  if (current) throw new Error('the engine is already initialised; call destroy() first');
  current = new Runtime(await Device.create(options));
  return current;
}

export function runtime(): Runtime {
  if (!current) throw new Error('the engine is not initialised: call init() first');
  return current;
}

/** Destroys the device. Programs should exit explicitly afterwards. */
export function destroy(): void {
  current?.device.destroy();
  current = null;
}
