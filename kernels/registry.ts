// Reads each kernels/<family>.wgsl once, reflects it with wgsl_reflect to derive bind-group
// layouts and the byte layout of its `Params` uniform, compiles it into one shader module, and
// caches compute pipelines by (family, entry point, override constants). No TypeScript code keeps binding numbers or offsets.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ResourceType, WgslReflect } from 'wgsl_reflect/wgsl_reflect.module.js';

// Sources stay beside the compiled registry's source folder: dist/kernels/ -> kernels/.
const SOURCE_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../kernels');

export type Overrides = Record<string, number>;
type Scalar = 'u32' | 'i32' | 'f32';

export interface Binding { name: string; binding: number; type: 'uniform' | 'storage' | 'read-only-storage' }
export interface ParamField { offset: number; type: Scalar; count: number; stride: number }

export interface Kernel {
  readonly label: string;
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
  readonly bindings: readonly Binding[];
  /** Uniform struct fields by name; `paramsBinding` is null when the entry point takes none. */
  readonly params: ReadonlyMap<string, ParamField>;
  readonly paramsBinding: number | null;
  readonly paramsSize: number;
}

interface Source { code: string; reflect: WgslReflect; module: GPUShaderModule }

export class KernelRegistry {
  private readonly sources = new Map<string, Source>();
  private readonly kernels = new Map<string, Kernel>();

  constructor(private readonly device: GPUDevice, private readonly dir = SOURCE_DIR) {}

  get(family: string, entry: string, overrides: Overrides = {}): Kernel {
    const key = `${family}:${entry}:${JSON.stringify(overrides)}`;
    let k = this.kernels.get(key);
    if (!k) { k = this.build(family, entry, overrides); this.kernels.set(key, k); }
    return k;
  }

  get pipelineCount(): number { return this.kernels.size; }

  private source(family: string): Source {
    let s = this.sources.get(family);
    if (!s) {
      let code = readFileSync(join(this.dir, `${family}.wgsl`), 'utf8');
      // A device without subgroups compiles such a family with subgroupBroadcast(v, lane) read as
      // v: the paths that broadcast are kept off there by override constants (ops take them only
      // where Device.subgroupSize is set).
      if (!this.device.features.has('subgroups')) {
        code = code.replace(/^enable subgroups;$/m, '').replace(/subgroupBroadcast\((\w+), \w+\)/g, '$1');
      }
      s = { code, reflect: new WgslReflect(code), module: this.device.createShaderModule({ label: family, code }) };
      this.sources.set(family, s);
    }
    return s;
  }

  private build(family: string, entry: string, overrides: Overrides): Kernel {
    const { reflect, module } = this.source(family);
    const label = `${family}.${entry}`;
    const fn = reflect.entry.compute.find((f) => f.name === entry);
    if (!fn) throw new Error(`kernel ${label}: no compute entry point '${entry}' in kernels/${family}.wgsl`);
    for (const name of Object.keys(overrides)) {
      if (!reflect.overrides.some((o) => o.name === name)) throw new Error(`kernel ${label}: unknown override constant '${name}'`);
    }
    const bindings: Binding[] = [];
    const params = new Map<string, ParamField>();
    let paramsBinding: number | null = null, paramsSize = 0;
    for (const r of fn.resources) {
      if (r.group !== 0) throw new Error(`kernel ${label}: '${r.name}' is in group ${r.group}; kernels use group 0 only`);
      if (r.resourceType === ResourceType.Uniform) {
        paramsBinding = r.binding;
        paramsSize = r.type.size;
        for (const m of r.members ?? []) {
          const scalar = (m.isArray ? m.format?.name : m.type.name) as Scalar;
          if (!['u32', 'i32', 'f32'].includes(scalar)) throw new Error(`kernel ${label}: param '${m.name}' must be u32, i32 or f32 (or an array of them)`);
          params.set(m.name, { offset: m.offset, type: scalar, count: m.isArray ? m.count : 1, stride: m.isArray ? m.stride : 4 });
        }
        bindings.push({ name: r.name, binding: r.binding, type: 'uniform' });
      } else if (r.resourceType === ResourceType.Storage) {
        bindings.push({ name: r.name, binding: r.binding, type: r.access === 'read' ? 'read-only-storage' : 'storage' });
      } else {
        throw new Error(`kernel ${label}: resource '${r.name}' is not a buffer`);
      }
    }
    bindings.sort((a, b) => a.binding - b.binding);
    const layout = this.device.createBindGroupLayout({
      label,
      entries: bindings.map((b) => ({ binding: b.binding, visibility: GPUShaderStage.COMPUTE, buffer: { type: b.type } })),
    });
    const pipeline = this.device.createComputePipeline({
      label,
      layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: entry, constants: overrides },
    });
    return { label, pipeline, layout, bindings, params, paramsBinding, paramsSize };
  }
}
