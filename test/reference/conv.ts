// Naive float64 convolutions (NHWC input, HWIO or [K, K, C] weights, no bias) and their
// analytic gradients, all from one enumeration of (output, input, weight) index triples.

export interface ConvGeometry {
  n: number; h: number; w: number; cin: number;
  kh: number; kw: number; cout: number;
  stride: number; padding: number;
  /** Each output channel reads only the input channel of the same index (weights [KH, KW, C]). */
  depthwise?: boolean;
}

export function outputShape(g: ConvGeometry): [number, number, number, number] {
  const ho = Math.floor((g.h + 2 * g.padding - g.kh) / g.stride) + 1;
  const wo = Math.floor((g.w + 2 * g.padding - g.kw) / g.stride) + 1;
  return [g.n, ho, wo, g.cout];
}

/** Calls f(output index, input index, weight index) for every product the convolution sums. */
function forEachProduct(g: ConvGeometry, f: (yi: number, xi: number, wi: number) => void): void {
  const [, ho, wo] = outputShape(g);
  for (let n = 0; n < g.n; n++) for (let oh = 0; oh < ho; oh++) for (let ow = 0; ow < wo; ow++) {
    for (let kh = 0; kh < g.kh; kh++) for (let kw = 0; kw < g.kw; kw++) {
      const ih = oh * g.stride + kh - g.padding, iw = ow * g.stride + kw - g.padding;
      if (ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) continue;
      for (let co = 0; co < g.cout; co++) {
        const yi = ((n * ho + oh) * wo + ow) * g.cout + co;
        const tap = kh * g.kw + kw;
        if (g.depthwise) f(yi, ((n * g.h + ih) * g.w + iw) * g.cin + co, tap * g.cout + co);
        else for (let ci = 0; ci < g.cin; ci++) f(yi, ((n * g.h + ih) * g.w + iw) * g.cin + ci, (tap * g.cin + ci) * g.cout + co);
      }
    }
  }
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

export function convRef(g: ConvGeometry, x: ArrayLike<number>, w: ArrayLike<number>): Float64Array {
  const y = new Float64Array(size(outputShape(g)));
  forEachProduct(g, (yi, xi, wi) => { y[yi] += x[xi] * w[wi]; });
  return y;
}

/** Gradients of sum(gy * conv(x, w)) with respect to x and w. */
export function convBackwardRef(g: ConvGeometry, x: ArrayLike<number>, w: ArrayLike<number>, gy: ArrayLike<number>): { dx: Float64Array; dw: Float64Array } {
  const dx = new Float64Array(x.length), dw = new Float64Array(w.length);
  forEachProduct(g, (yi, xi, wi) => { dx[xi] += gy[yi] * w[wi]; dw[wi] += gy[yi] * x[xi]; });
  return { dx, dw };
}

/** Small convolutions for the fused epilogue tests: a stride, channel counts off vec4, depthwise. */
export const EPILOGUE_GEOMETRIES: Array<[string, ConvGeometry]> = [
  ['conv 3x3 stride 2, 5->6', { n: 2, h: 7, w: 6, cin: 5, cout: 6, kh: 3, kw: 3, stride: 2, padding: 1 }],
  ['conv 3x3, 4->8', { n: 1, h: 5, w: 5, cin: 4, cout: 8, kh: 3, kw: 3, stride: 1, padding: 1 }],
  ['depthwise 3x3 stride 2, 5 channels', { n: 2, h: 7, w: 6, cin: 5, cout: 5, kh: 3, kw: 3, stride: 2, padding: 1, depthwise: true }],
  ['depthwise 5x5, 8 channels', { n: 1, h: 6, w: 5, cin: 8, cout: 8, kh: 5, kw: 5, stride: 1, padding: 2, depthwise: true }],
];
