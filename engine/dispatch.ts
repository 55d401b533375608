// The one way an op records a kernel: `dispatch` binds the tensors an entry point declares by
// name (a vec4 view `x4` is bound to the tensor given as `x`), fills the parameter fields it is
// not given with zero, and rejects names the entry point does not declare.
import type { Overrides } from '../kernels/registry.js';
import type { ParamValue } from './queue.js';
import { runtime } from './runtime.js';
import type { Tensor } from './tensor.js';

export type Workgroups = readonly [number, number?, number?];

/** One-dimensional launch grid for `n` invocations at `perGroup` a workgroup (2-D past 65535 workgroups). */
export function grid(n: number, perGroup: number): [number, number] {
  const groups = Math.ceil(n / perGroup);
  const x = Math.min(groups, 65535);
  return [x, Math.ceil(groups / x) || 1];
}

/**
 * Records one dispatch of kernels/<family>.wgsl's `entry` over `invocations` (a count laid out
 * by `grid` in workgroups of `overrides.WG`, or explicit workgroup counts).
 */
export function dispatch(family: string, entry: string, tensors: Record<string, Tensor>,
                         params: Record<string, ParamValue>, invocations: number | Workgroups, overrides: Overrides = {}): void {
  const rt = runtime();
  rt.device.assertAlive();
  const kernel = rt.kernels.get(family, entry, overrides);
  const buffers: Record<string, GPUBuffer> = {};
  const used = new Set<string>();
  for (const b of kernel.bindings) {
    if (b.type === 'uniform') continue;
    const scalar = b.name.endsWith('4') ? b.name.slice(0, -1) : null;   // a vec4 view of the tensor `scalar`
    const name = b.name in tensors ? b.name : scalar !== null && scalar in tensors ? scalar : null;
    if (!name) throw new Error(`${kernel.label}: no tensor given for '${b.name}'`);
    buffers[b.name] = tensors[name].buffer;
    used.add(name);
  }
  for (const name of Object.keys(tensors)) {
    if (!used.has(name)) throw new Error(`${kernel.label}: the entry point declares no binding '${name}'`);
  }
  const workgroups = typeof invocations === 'number' ? grid(invocations, overrides.WG ?? 1) : invocations;
  rt.queue.dispatch(kernel, buffers, params, workgroups);
}
