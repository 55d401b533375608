// Depthwise KxK convolution of channels-last tensors: the forward pass, its transpose (the
// gradient to the input) and per-chunk partial sums of the gradient to the weights.
//
// An invocation owns 4 adjacent channels (one vec4) of TW adjacent output pixels of one row. For
// each kernel row it loads the input window those pixels cover once and reuses it for every tap.
// The channel group comes from workgroup_id.y when WG_C is 1 (lavapipe): the workgroup's lanes
// then walk pixels, and weight loads have the same address in every lane (one load, not eight).
// K, S and U are override constants so the tap loops unroll and the windows stay in registers.

// Variables get explicit initialisers: here a plain `var v: T;` declared in a loop body kept its
// value from the previous iteration instead of starting at zero.
const MAX_TW = 8u;
const MAX_WIN = 32u;    // (TW - 1) * S + K input columns per window

override K: u32 = 3u;
override S: u32 = 1u;   // stride over the virtual input
override U: u32 = 1u;   // the virtual input has U - 1 zeros between real pixels (U = stride: transposed)
override VEC4: bool = true;  // C % 4 == 0: vec4 loads; otherwise 4 masked scalar loads
override TW: u32 = 4u;
override WG_C: u32 = 1u;
override WG_P: u32 = 32u;

struct Params {
  n: u32, hi: u32, wi: u32, c: u32,   // input shape [n, hi, wi, c]
  ho: u32, wo: u32,                    // output rows and columns
  pad: i32,                            // padding of the virtual input
  flip: u32,                           // 1: taps mirrored (transposed convolution)
  rows_per_chunk: u32, chunks: u32,    // weight gradient: output rows (n, oh) per partial sum
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> x4: array<vec4f>;   // x again, for the vec4 path
@group(0) @binding(3) var<storage, read> w: array<f32>;      // weights, or the output gradient
@group(0) @binding(4) var<storage, read> w4: array<vec4f>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;

// Channels c..c+3 at element offset i (= pixel * C + c); channels past C read 0.
fn load_x(i: u32, c: u32) -> vec4f {
  if (VEC4) { return x4[i / 4u]; }
  var v = vec4f();
  for (var j = 0u; j < 4u; j++) { if (c + j < p.c) { v[j] = x[i + j]; } }
  return v;
}

fn load_w(i: u32, c: u32) -> vec4f {
  if (VEC4) { return w4[i / 4u]; }
  var v = vec4f();
  for (var j = 0u; j < 4u; j++) { if (c + j < p.c) { v[j] = w[i + j]; } }
  return v;
}

fn store(i: u32, c: u32, v: vec4f) {
  for (var j = 0u; j < 4u; j++) { if (VEC4 || c + j < p.c) { out[i + j] = v[j]; } }
}

// Real input index of virtual coordinate v, or -1 where v falls on padding or an inserted zero.
fn real(v: i32, size: u32) -> i32 {
  if (v < 0 || u32(v) % U != 0u || u32(v) / U >= size) { return -1; }
  return i32(u32(v) / U);
}

// Input window of the row `ih` starting at virtual column v0; zeros outside the input.
fn window(row: u32, v0: i32, c: u32) -> array<vec4f, MAX_WIN> {
  var win = array<vec4f, MAX_WIN>();
  for (var j = 0u; j < (TW - 1u) * S + K; j++) {
    let iw = real(v0 + i32(j), p.wi);
    if (iw >= 0) { win[j] = load_x((row * p.wi + u32(iw)) * p.c + c, c); }
  }
  return win;
}

// out[n, oh, ow, c] = sum over taps of in[n, oh*S + kh - pad, ow*S + kw - pad, c] * w[kh, kw, c]
// on the virtual input (U = 1: the input itself). With flip = 1 and U = stride this is the
// gradient to the input of a strided convolution.
@compute @workgroup_size(WG_C, WG_P)
fn conv(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let c = (wg.y * WG_C + lid.x) * 4u;
  let blocks = (p.wo + TW - 1u) / TW;
  let b = (wg.z * nwg.x + wg.x) * WG_P + lid.y;
  if (c >= p.c || b >= p.n * p.ho * blocks) { return; }
  let ow0 = (b % blocks) * TW;
  let row = b / blocks;    // n * ho + oh
  let oh = row % p.ho;
  let n = row / p.ho;
  var acc = array<vec4f, MAX_TW>();
  for (var kh = 0u; kh < K; kh++) {
    let ih = real(i32(oh * S + kh) - p.pad, p.hi);
    if (ih < 0) { continue; }
    let win = window(n * p.hi + u32(ih), i32(ow0 * S) - p.pad, c);
    let wrow = select(kh, K - 1u - kh, p.flip != 0u);
    for (var kw = 0u; kw < K; kw++) {
      let tap = wrow * K + select(kw, K - 1u - kw, p.flip != 0u);
      let wv = load_w(tap * p.c + c, c);
      for (var t = 0u; t < TW; t++) { acc[t] = fma(win[t * S + kw], wv, acc[t]); }
    }
  }
  for (var t = 0u; t < TW; t++) {
    if (ow0 + t < p.wo) { store((row * p.wo + ow0 + t) * p.c + c, c, acc[t]); }
  }
}

// Partial sums of the weight gradient, out[chunk, kh, kw, c] = sum over the chunk's output rows
// of in[n, oh*S + kh - pad, ow*S + kw - pad, c] * grad[n, oh, ow, c], with grad bound as `w`.
// workgroup_id.z is kh; lanes walk chunks.
@compute @workgroup_size(WG_C, WG_P)
fn weight_grad(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let c = (wg.y * WG_C + lid.x) * 4u;
  let kh = wg.z;
  let chunk = wg.x * WG_P + lid.y;
  if (c >= p.c || chunk >= p.chunks) { return; }
  var acc = array<vec4f, MAX_WIN>();
  let end = min(p.n * p.ho, (chunk + 1u) * p.rows_per_chunk);
  for (var row = chunk * p.rows_per_chunk; row < end; row++) {
    let ih = real(i32((row % p.ho) * S + kh) - p.pad, p.hi);
    if (ih < 0) { continue; }
    let xrow = (row / p.ho) * p.hi + u32(ih);
    for (var ow0 = 0u; ow0 < p.wo; ow0 += TW) {
      let win = window(xrow, i32(ow0 * S) - p.pad, c);
      for (var t = 0u; t < TW; t++) {
        if (ow0 + t >= p.wo) { break; }
        let g = load_w((row * p.wo + ow0 + t) * p.c + c, c);
        for (var kw = 0u; kw < K; kw++) { acc[kw] = fma(win[t * S + kw], g, acc[kw]); }
      }
    }
  }
  for (var kw = 0u; kw < K; kw++) { store(((chunk * K + kh) * K + kw) * p.c + c, c, acc[kw]); }
}
