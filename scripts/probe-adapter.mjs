// Asks Dawn for an adapter and prints what it found; exit 1 when there is none.
import { create, globals } from 'webgpu';
Object.assign(globalThis, globals);
const gpu = create([]);
const adapter = await gpu.requestAdapter();
if (!adapter) { console.error('no WebGPU adapter'); process.exit(1); }
const info = adapter.info ?? {};
console.log(JSON.stringify({ vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description }));
process.exit(0);
