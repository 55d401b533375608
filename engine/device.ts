// The one object that owns the WebGPU adapter and device. Created and destroyed explicitly:
// a live Dawn device keeps a Node process running, so programs destroy it and exit.
import { create } from './webgpu.js';

export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** 'cpu' for software rasterisers (lavapipe, SwiftShader), 'gpu' otherwise; picks kernel tunings. */
  kind: 'cpu' | 'gpu';
}

export class DeviceError extends Error {}

export interface DeviceOptions {
  /** Dawn toggles or options, passed to `create` (for example 'enable-dawn-features=...'). */
  dawnOptions?: string[];
  /**
   * Which adapter: 'high-performance', 'low-power', or part of an adapter's name as `listAdapters`
   * gives it. Default: the environment's DENSENAS_ADAPTER, else 'high-performance'.
   */
  adapter?: string;
}

/** An adapter Dawn finds: its backend and name (what `DeviceOptions.adapter` matches). */
export interface AdapterEntry { backend: string; name: string }

const POWER_PREFERENCES: readonly string[] = ['high-performance', 'low-power'];

/** Dawn's options and the request for the adapter that `adapter` names. */
function adapterRequest(adapter: string | undefined): { dawn: string[]; powerPreference: GPUPowerPreference } {
  const a = adapter || process.env.DENSENAS_ADAPTER || 'high-performance';
  if (POWER_PREFERENCES.includes(a)) return { dawn: [], powerPreference: a as GPUPowerPreference };
  return { dawn: [`adapter=${a}`], powerPreference: 'high-performance' };
}

/**
 * Every adapter Dawn finds on this machine. Dawn lists them when asked for a name that matches
 * none, which is the only listing its Node bindings offer.
 */
export async function listAdapters(): Promise<AdapterEntry[]> {
  process.env.XDG_RUNTIME_DIR ??= `/tmp/runtime-${process.getuid?.() ?? 0}`;
  const gpu = create(['adapter=(list every adapter)']);
  try {
    await gpu.requestAdapter();
  } catch (err) {
    const text = String((err as Error)?.message ?? err);
    return [...text.matchAll(/\* backend: '([^']*)', name: '([^']*)'/g)].map((m) => ({ backend: m[1], name: m[2] }));
  }
  return [];
}

const NO_ADAPTER_HELP = `no WebGPU adapter found.
On a machine without a GPU, Dawn needs Mesa 25's lavapipe (Debian 12's own Mesa 22.3 is rejected).
Run 'bash scripts/setup' as root, or by hand on Debian 12:
  echo 'deb http://deb.debian.org/debian bookworm-backports main' > /etc/apt/sources.list.d/bookworm-backports.list
  apt-get update && apt-get install -y -t bookworm-backports mesa-vulkan-drivers libvulkan1
On a machine with a GPU, install its Vulkan driver.`;

export class Device {
  readonly gpu: GPUDevice;
  readonly adapter: GPUAdapter;
  readonly info: AdapterDescription;
  readonly limits: GPUSupportedLimits;
  readonly features: ReadonlySet<string>;
  readonly hasTimestamps: boolean;
  /** Invocations per subgroup where subgroups are enabled and their size is fixed (lavapipe: 8); else null. */
  readonly subgroupSize: number | null;
  /** Set when the device is lost or destroyed; every later use fails with this reason. */
  lostReason: string | null = null;
  /** The first validation or out-of-memory error Dawn reported since the last check. */
  private gpuError: string | null = null;
  private readonly navigatorGpu: GPU; // kept reachable: Dawn aborts if it is collected
  private readonly destroyHooks: Array<() => void> = [];

  private constructor(navigatorGpu: GPU, adapter: GPUAdapter, gpu: GPUDevice) {
    this.navigatorGpu = navigatorGpu;
    this.adapter = adapter;
    this.gpu = gpu;
    const i = adapter.info;
    const description = i.description || `${i.vendor} ${i.device}`.trim();
    const software = /llvmpipe|lavapipe|swiftshader/i.test(`${description} ${i.device} ${i.architecture}`);
    this.info = { vendor: i.vendor, architecture: i.architecture, device: i.device, description, kind: software ? 'cpu' : 'gpu' };
    this.limits = gpu.limits;
    this.features = new Set(gpu.features as unknown as Iterable<string>);
    this.hasTimestamps = this.features.has('timestamp-query');
    const lo = i.subgroupMinSize, hi = i.subgroupMaxSize;
    this.subgroupSize = this.features.has('subgroups') && lo && lo === hi ? lo : null;
    gpu.lost.then((l) => { this.lostReason ??= `device lost (${l.reason}): ${l.message}`; });
    // Dawn names the pipeline, bind group or buffer (kernel labels) in its messages.
    gpu.onuncapturederror = (ev) => {
      const kind = ev.error instanceof GPUOutOfMemoryError ? 'out of GPU memory' : 'GPU validation error';
      this.gpuError ??= `${kind}: ${ev.error.message}`;
    };
  }

  static async create(options: DeviceOptions = {}): Promise<Device> {
    process.env.XDG_RUNTIME_DIR ??= `/tmp/runtime-${process.getuid?.() ?? 0}`;
    // Dawn rounds timestamps to 65.5 us by default (a browser's privacy measure): too coarse for
    // the kernels of a GPU, which then time as 0 or one step.
    const want = adapterRequest(options.adapter);
    const navigatorGpu = create(['disable-dawn-features=timestamp_quantization', ...want.dawn, ...(options.dawnOptions ?? [])]);
    let adapter: GPUAdapter | null;
    try {
      adapter = await navigatorGpu.requestAdapter({ powerPreference: want.powerPreference });
    } catch (err) {
      // Dawn rejects a name that matches no adapter, listing those it has.
      const listing = String((err as Error)?.message ?? err).replace(/^no suitable backends found\n/, 'no adapter has that name.\n');
      throw new DeviceError(`adapter '${want.dawn[0].slice('adapter='.length)}': ${listing}`);
    }
    if (!adapter) throw new DeviceError(NO_ADAPTER_HELP);
    const wanted: GPUFeatureName[] = ['timestamp-query', 'subgroups'];
    const requiredFeatures = wanted.filter((f) => adapter.features.has(f));
    const al = adapter.limits;
    const gpu = await adapter.requestDevice({
      requiredFeatures,
      requiredLimits: {
        maxStorageBufferBindingSize: al.maxStorageBufferBindingSize,
        maxBufferSize: al.maxBufferSize,
        maxComputeWorkgroupStorageSize: al.maxComputeWorkgroupStorageSize,
        maxComputeInvocationsPerWorkgroup: al.maxComputeInvocationsPerWorkgroup,
        maxComputeWorkgroupSizeX: al.maxComputeWorkgroupSizeX,
        maxComputeWorkgroupSizeY: al.maxComputeWorkgroupSizeY,
        maxStorageBuffersPerShaderStage: al.maxStorageBuffersPerShaderStage,
      },
    });
    return new Device(navigatorGpu, adapter, gpu);
  }

  /** Largest tensor, in bytes, that one storage binding can hold on this device. */
  get maxBindingBytes(): number {
    return Math.min(this.limits.maxStorageBufferBindingSize, this.limits.maxBufferSize);
  }

  /** Throws for a lost device, or once for an error Dawn reported about earlier work. */
  assertAlive(): void {
    if (this.lostReason) throw new DeviceError(this.lostReason);
    const err = this.gpuError;
    if (err) { this.gpuError = null; throw new DeviceError(err); }
  }

  onDestroy(hook: () => void): void {
    this.destroyHooks.push(hook);
  }

  destroy(): void {
    if (this.lostReason) return;
    this.lostReason = 'device destroyed';
    for (const hook of this.destroyHooks.splice(0)) hook();
    this.gpu.destroy();
    void this.navigatorGpu;
  }
}
