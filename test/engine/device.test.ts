// The device reports what went wrong: Dawn's validation errors surface as exceptions with
// Dawn's message (which names the object), and a destroyed engine refuses work clearly.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DeviceError } from '../../engine/device.js';
import { scale } from '../../engine/ops/elementwise.js';
import { Tensor } from '../../engine/tensor.js';
import { engine } from '../helpers.js';

const rt = await engine();

test('adapter information and limits are exposed', () => {
  assert.match(rt.device.info.description, /\w/);
  assert.ok(['cpu', 'gpu'].includes(rt.device.info.kind));
  assert.ok(rt.device.maxBindingBytes >= 128 * 2 ** 20);
});

test('a validation error is reported with its message at the next operation, once', async () => {
  rt.device.gpu.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.STORAGE, label: 'bad buffer' });
  await rt.queue.sync();   // lets Dawn deliver the error
  assert.throws(() => scale(Tensor.zeros([4]), 2), (e: Error) => e instanceof DeviceError && /GPU validation error/.test(e.message) && /bad buffer/.test(e.message));
  assert.equal(Array.from(await scale(Tensor.full([2], 3), 2).toArray()), [6, 6]);
});

test('a tensor larger than a storage binding is refused with its size', () => {
  const n = rt.device.maxBindingBytes / 4 + 1;
  assert.throws(() => Tensor.empty([n]), /exceed this adapter's storage-binding limit/);
});

test.run();
