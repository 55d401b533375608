// A window of a tensor along one axis, x[..., start:start+length, ...], with its gradient: the
// view that lets candidates of different sizes share one weight (a 3x3 kernel as the centre of a
// 7x7 one, the first channels of a wider expansion).
import { dispatch } from '../dispatch.js';
import { runtime } from '../runtime.js';
import { record, Tensor, type Shape } from '../tensor.js';

function launch(entry: string, out: Tensor, x: Tensor, axisLen: number, inner: number, start: number, len: number): Tensor {
  dispatch('narrow', entry, { x, out }, { n: out.size, axis: axisLen, inner, start, len }, out.size, runtime().tuning.elementwise);
  return out;
}

export function narrow(x: Tensor, axis: number, start: number, length: number): Tensor {
  const shape = x.shape, d = shape[axis];
  if (!Number.isInteger(axis) || axis < 0 || axis >= shape.length) throw new RangeError(`narrow: axis ${axis} of a tensor of rank ${shape.length}`);
  if (!Number.isInteger(start) || !Number.isInteger(length) || start < 0 || length < 1 || start + length > d) {
    throw new RangeError(`narrow: [${start}, ${start + length}) is outside axis ${axis} of size ${d}`);
  }
  if (start === 0 && length === d) return x;
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outShape: Shape = shape.map((s, i) => (i === axis ? length : s));
  const out = launch('narrow_fwd', Tensor.empty(outShape), x, d, inner, start, length);
  return record(out, 'narrow', [x], (g) => [launch('narrow_bwd', Tensor.empty(shape), g, d, inner, start, length)]);
}
