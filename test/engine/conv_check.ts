// Checks a convolution op (general or depthwise) against the float64 reference: forward, both
// gradients against the reference's backward and, on small shapes, against finite differences.
import * as assert from 'uvu/assert';
import type { Random } from '../../engine/random.js';
import { Tensor, tidyAsync } from '../../engine/tensor.js';
import { assertClose, dot, numericGrad, randomArray } from '../helpers.js';
import { convBackwardRef, convRef, outputShape, type ConvGeometry } from '../reference/conv.js';

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Tolerances (relative, absolute) of the forward and of dx and dw against the reference. */
export interface ConvTolerance { forward: number; dx: number; dw: number; numeric: number }

export async function checkConvOp(
  rng: Random, g: ConvGeometry, wShape: number[], op: (x: Tensor, w: Tensor) => Tensor, numeric: boolean, atol: ConvTolerance,
): Promise<void> {
  // Float32 values, so that the float64 reference sees exactly what the GPU sees.
  const f32 = (n: number) => Float64Array.from(Float32Array.from(randomArray(rng, n)));
  const xShape = [g.n, g.h, g.w, g.cin], yShape = outputShape(g);
  const x = f32(size(xShape)), w = f32(size(wShape)), gy = f32(size(yShape));
  const tx = Tensor.fromArray(x, xShape, true), tw = Tensor.fromArray(w, wShape, true);
  await tidyAsync(async () => {
    const y = op(tx, tw);
    assert.equal(y.shape, yShape);
    assertClose(await y.toArray(), convRef(g, x, w), 'forward', 1e-4, atol.forward);
    y.backward(Tensor.fromArray(gy, yShape));   // loss = sum(gy * y)
  });
  const dx = await tx.grad!.toArray(), dw = await tw.grad!.toArray();
  const ref = convBackwardRef(g, x, w, gy);
  assertClose(dx, ref.dx, 'dx', 1e-4, atol.dx);
  assertClose(dw, ref.dw, 'dw', 1e-4, atol.dw);
  if (numeric) {
    assertClose(dx, numericGrad((v) => dot(gy, convRef(g, v, w)), x), 'dx (finite differences)', 1e-3, atol.numeric);
    assertClose(dw, numericGrad((v) => dot(gy, convRef(g, x, v)), w), 'dw (finite differences)', 1e-3, atol.numeric);
  }
  for (const t of [tx, tw, tx.grad!, tw.grad!]) t.dispose();
}
