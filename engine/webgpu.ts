// Installs Dawn's WebGPU globals (GPUBufferUsage, GPUMapMode, ...) before any engine module uses them.
import { create, globals } from 'webgpu';

Object.assign(globalThis, globals);

export { create };
