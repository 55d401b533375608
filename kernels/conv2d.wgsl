// General 2-D convolution of channels-last tensors as an implicit matrix product: the forward
// pass, its transpose (the gradient to the input) and per-chunk partial sums of the gradient to
// the weights, plus the pass that adds partial sums up.
//
// An invocation owns TP output pixels x TC output channels. The output-channel block comes from
// workgroup_id.y and the lanes walk pixels, so on lavapipe every weight load has one address for
// all lanes (one load, not eight); input channels are read 4 at a time (a vec4 when C % 4 == 0).

// Variables get explicit initialisers: here a plain `var v: T;` declared in a loop body kept its
// value from the previous iteration instead of starting at zero.
const MAX_TP = 8u;
const MAX_TC = 8u;

override TP: u32 = 4u;        // output pixels per invocation
override TC: u32 = 8u;        // output channels per invocation, a multiple of 4
override WG: u32 = 32u;
override VEC4: bool = true;   // the gathered input's channel count is a multiple of 4

struct Params {
  n: u32, hi: u32, wi: u32, ca: u32,   // gathered input [n, hi, wi, ca]
  ho: u32, wo: u32, co: u32,           // output [n, ho, wo, co] (or the gradient's, for weight_grad)
  kh: u32, kw: u32,
  stride: u32,
  up: u32,      // the virtual input has up - 1 zeros between real pixels (transposed: up = stride)
  pad_h: i32, pad_w: i32,   // padding of the virtual input
  flip: u32,    // 1: taps mirrored (transposed convolution)
  w_tap: u32, w_a: u32, w_o: u32,      // weight strides per tap, input channel, output channel
  chunks: u32, pixels_per_chunk: u32,  // weight gradient: partial sums over output pixels
  len: u32, parts: u32,                // sum_partials: out[len] = sum of `parts` slices
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> a4: array<vec4f>;   // `a` again, for the vec4 path
@group(0) @binding(3) var<storage, read> w: array<f32>;      // weights, or the output gradient
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

// Channels c..c+3 of `a` at element offset i (= pixel * ca + c); channels past ca read 0.
fn load_a(i: u32, c: u32) -> vec4f {
  if (VEC4) { return a4[i / 4u]; }
  var v = vec4f();
  for (var j = 0u; j < 4u; j++) { if (c + j < p.ca) { v[j] = a[i + j]; } }
  return v;
}

// TC consecutive output channels starting at co of weight row `base`, as TC / 4 vec4s.
fn load_w_row(base: u32, co: u32, stride: u32, valid: bool) -> array<vec4f, MAX_TC / 4u> {
  var r = array<vec4f, MAX_TC / 4u>();
  for (var j = 0u; j < TC; j++) {
    if (valid && co + j < p.co) { r[j / 4u][j % 4u] = w[base + j * stride]; }
  }
  return r;
}

// Real input index of virtual coordinate v, or -1 where v falls on padding or an inserted zero.
fn real(v: i32, size: u32) -> i32 {
  if (v < 0 || u32(v) % p.up != 0u || u32(v) / p.up >= size) { return -1; }
  return i32(u32(v) / p.up);
}

// Output pixel m as (n, oh, ow). With up > 1 pixels are numbered phase by phase (all oh, ow of
// one parity pair together), so that neighbouring lanes skip the same taps; ow = wo marks a pixel
// past the end of its phase.
fn pixel(m: u32) -> vec3u {
  if (p.up == 1u) { return vec3u(m / (p.ho * p.wo), (m / p.wo) % p.ho, m % p.wo); }
  let hq = (p.ho + p.up - 1u) / p.up;
  let wq = (p.wo + p.up - 1u) / p.up;
  let r = m / (hq * wq);
  let oh = ((r / p.up) % p.up) + p.up * ((m / wq) % hq);
  let ow = (r % p.up) + p.up * (m % wq);
  if (oh >= p.ho || ow >= p.wo) { return vec3u(0u, 0u, p.wo); }
  return vec3u(r / (p.up * p.up), oh, ow);
}

fn pixel_count() -> u32 {
  if (p.up == 1u) { return p.n * p.ho * p.wo; }
  return p.n * p.up * p.up * ((p.ho + p.up - 1u) / p.up) * ((p.wo + p.up - 1u) / p.up);
}

// out[n, oh, ow, co] = sum over taps (kh, kw) and channels ci of
//   in[n, oh*stride + kh - pad_h, ow*stride + kw - pad_w, ci] * w[tap(kh, kw), ci, co]
// on the virtual input. With flip = 1, up = stride and the weight strides of the transposed
// matrix, this is the gradient to the input of a strided convolution.
@compute @workgroup_size(WG)
fn conv(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let co = wg.y * TC;
  let m0 = ((wg.z * nwg.x + wg.x) * WG + lid.x) * TP;
  if (m0 >= pixel_count()) { return; }
  var px = array<vec3u, MAX_TP>();
  for (var t = 0u; t < TP; t++) { px[t] = pixel(min(m0 + t, pixel_count() - 1u)); }
  var acc = array<array<vec4f, MAX_TC / 4u>, MAX_TP>();
  for (var kh = 0u; kh < p.kh; kh++) {
    for (var kw = 0u; kw < p.kw; kw++) {
      var base = array<i32, MAX_TP>();     // offset of each pixel's input, or -1
      var hit = false;
      for (var t = 0u; t < TP; t++) {
        let ih = real(i32(px[t].y * p.stride + kh) - p.pad_h, p.hi);
        let iw = real(i32(px[t].z * p.stride + kw) - p.pad_w, p.wi);
        base[t] = -1;
        if (ih >= 0 && iw >= 0 && px[t].z < p.wo) { base[t] = i32(((px[t].x * p.hi + u32(ih)) * p.wi + u32(iw)) * p.ca); hit = true; }
      }
      if (!hit) { continue; }
      let tap = select(kh * p.kw + kw, (p.kh - 1u - kh) * p.kw + (p.kw - 1u - kw), p.flip != 0u);
      for (var ci = 0u; ci < p.ca; ci += 4u) {
        var v = array<vec4f, MAX_TP>();
        for (var t = 0u; t < TP; t++) { if (base[t] >= 0) { v[t] = load_a(u32(base[t]) + ci, ci); } }
        for (var j = 0u; j < 4u; j++) {
          let wr = load_w_row(tap * p.w_tap + (ci + j) * p.w_a + co * p.w_o, co, p.w_o, ci + j < p.ca);
          for (var t = 0u; t < TP; t++) {
            for (var q = 0u; q < TC / 4u; q++) { acc[t][q] = fma(vec4f(v[t][j]), wr[q], acc[t][q]); }
          }
        }
      }
    }
  }
  for (var t = 0u; t < TP; t++) {
    let m = px[t];
    if (m0 + t >= pixel_count() || m.z >= p.wo) { continue; }
    let o = ((m.x * p.ho + m.y) * p.wo + m.z) * p.co + co;
    for (var j = 0u; j < TC; j++) { if (co + j < p.co) { out[o + j] = acc[t][j / 4u][j % 4u]; } }
  }
}

// Partial sums of the weight gradient, out[chunk, kh, kw, ci, co] = sum over the chunk's output
// pixels of in[n, oh*stride + kh - pad_h, ow*stride + kw - pad_w, ci] * grad[n, oh, ow, co], with
// grad bound as `w`. Lanes walk (tap, 4 input channels) rows, so that the gradient loads of a
// workgroup (output-channel block from workgroup_id.y, chunk from workgroup_id.z) are uniform.
@compute @workgroup_size(WG)
fn weight_grad(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let co = wg.y * TC;
  let chunk = wg.z;
  let groups = (p.ca + 3u) / 4u;
  let r = wg.x * WG + lid.x;
  if (r >= p.kh * p.kw * groups) { return; }
  let ci = (r % groups) * 4u;
  let tap = r / groups;
  let kh = tap / p.kw;
  let kw = tap % p.kw;
  var acc = array<array<vec4f, MAX_TC / 4u>, 4>();
  let end = min(p.n * p.ho * p.wo, (chunk + 1u) * p.pixels_per_chunk);
  for (var m = chunk * p.pixels_per_chunk; m < end; m++) {
    let ow = m % p.wo;
    let oh = (m / p.wo) % p.ho;
    let ih = i32(oh * p.stride + kh) - p.pad_h;
    let iw = i32(ow * p.stride + kw) - p.pad_w;
    if (ih < 0 || iw < 0 || u32(ih) >= p.hi || u32(iw) >= p.wi) { continue; }
    let v = load_a((((m / (p.wo * p.ho)) * p.hi + u32(ih)) * p.wi + u32(iw)) * p.ca + ci, ci);
    let g = load_w_row(m * p.co + co, co, 1u, true);
    for (var j = 0u; j < 4u; j++) {
      for (var q = 0u; q < TC / 4u; q++) { acc[j][q] = fma(vec4f(v[j]), g[q], acc[j][q]); }
    }
  }
  for (var j = 0u; j < 4u; j++) {
    if (ci + j >= p.ca) { break; }
    let o = ((chunk * p.kh * p.kw + tap) * p.ca + ci + j) * p.co + co;
    for (var k = 0u; k < TC; k++) { if (co + k < p.co) { out[o + k] = acc[j][k / 4u][k % 4u]; } }
  }
}

// out[i] = sum over k < parts of a[k * len + i]: the second pass of the weight gradients.
@compute @workgroup_size(WG)
fn sum_partials(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = (wg.y * nwg.x + wg.x) * WG + lid.x;
  if (i >= p.len) { return; }
  var s = 0.0;
  for (var k = 0u; k < p.parts; k++) { s += a[k * p.len + i]; }
  out[i] = s;
}
