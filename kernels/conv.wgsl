// General 2-D convolution of channels-last tensors as an implicit matrix product: the forward
// pass, the gradient to the input (the same kernel on the transposed problem), per-chunk partial
// sums of the gradient to the weights (added up by sum_partials in reduce.wgsl), and the pass
// that mirrors the taps for the input gradient.
//
// An invocation owns TP output pixels x TC output channels. The output-channel block comes from
// workgroup_id.y and the lanes walk pixels, so on lavapipe every weight load has one address for
// all lanes (one load, not eight). Input channels are read 4 at a time (a vec4 when VEC4).
// Entry points ending in 4 read weight rows and write outputs as vec4s and need an output
// channel count that is a multiple of 4; those ending in 1 take any.

// Variables get explicit initialisers: here a plain `var v: T;` declared in a loop body kept its
// value from the previous iteration instead of starting at zero.
const MAX_TP = 8u;
const MAX_TC = 16u;

override TP: u32 = 4u;        // output pixels per invocation
override TC: u32 = 8u;        // output channels per invocation, a multiple of 4 up to 16
override WG: u32 = 32u;
override VEC4: bool = true;   // the gathered input's channel count is a multiple of 4

struct Params {
  n: u32, hi: u32, wi: u32, ca: u32,   // gathered input [n, hi, wi, ca]
  ho: u32, wo: u32, co: u32,           // output [n, ho, wo, co] (the gradient's, for weight_grad)
  kh: u32, kw: u32,
  stride: u32,
  up: u32,      // the virtual input has up - 1 zeros between real pixels (transposed: up = stride)
  pad_h: i32, pad_w: i32,              // padding of the virtual input
  pixels_per_chunk: u32,               // weight gradient: output pixels per partial sum (one per workgroup_id.z)
  len: u32,                            // transpose_taps: weights
  act_lo: f32, act_hi: f32,            // conv_bias: the output clamp
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> a4: array<vec4f>;   // `a` again, for vec4 loads
@group(0) @binding(3) var<storage, read> w: array<f32>;      // weights [tap, ca, co], or the output gradient
@group(0) @binding(4) var<storage, read> w4: array<vec4f>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;
@group(0) @binding(6) var<storage, read_write> out4: array<vec4f>;
@group(0) @binding(7) var<storage, read> bias: array<f32>;   // conv_bias: out = clamp(conv + bias, lo, hi)
// conv_norm: an eval batch norm's [2, co] statistics (mean first) and [2, co] scale and shift
// (batchnorm.wgsl's `stats` and `fwd`): out = clamp((conv - mean) scale + shift, lo, hi).
@group(0) @binding(8) var<storage, read> stats: array<f32>;
@group(0) @binding(9) var<storage, read> fwd: array<f32>;

alias Row = array<vec4f, MAX_TC / 4u>;

// Channels c..c+3 of `a` at element offset i (= pixel * ca + c); channels past ca read 0.
fn load_a(i: u32, c: u32) -> vec4f {
  if (VEC4) { return a4[i / 4u]; }
  var v = vec4f();
  for (var j = 0u; j < 4u; j++) { if (c + j < p.ca) { v[j] = a[i + j]; } }
  return v;
}

// Output channels co..co+TC-1 of the row of `w` at element offset i (= row * p.co + co).
fn load_row(i: u32, co: u32, vec4: bool) -> Row {
  var r = Row();
  for (var q = 0u; q < TC / 4u; q++) {
    if (vec4) {
      if (co + 4u * q < p.co) { r[q] = w4[i / 4u + q]; }
    } else {
      for (var j = 0u; j < 4u; j++) { if (co + 4u * q + j < p.co) { r[q][j] = w[i + 4u * q + j]; } }
    }
  }
  return r;
}

// Writes output channels co..co+TC-1 at element offset i (two functions: a read_write binding
// that an entry point merely mentions still may not alias another).
fn store_row4(i: u32, co: u32, r: Row) {
  for (var q = 0u; q < TC / 4u; q++) { if (co + 4u * q < p.co) { out4[i / 4u + q] = r[q]; } }
}

fn store_row1(i: u32, co: u32, r: Row) {
  for (var j = 0u; j < TC; j++) { if (co + j < p.co) { out[i + j] = r[j / 4u][j % 4u]; } }
}

// The bias of output channels co..co+TC-1 (0 past co: never stored), loaded once per invocation.
fn bias_row(co: u32) -> Row {
  var o = Row();
  for (var j = 0u; j < TC; j++) { if (co + j < p.co) { o[j / 4u][j % 4u] = bias[co + j]; } }
  return o;
}

fn biased(r: Row, bias: Row) -> Row {
  var o = Row();
  for (var q = 0u; q < TC / 4u; q++) { o[q] = clamp(r[q] + bias[q], vec4f(p.act_lo), vec4f(p.act_hi)); }
  return o;
}

// The norm entries' activation, as batchnorm.wgsl's (PyTorch's clamp): NaN passes, and an
// infinity passes a side left open (+-FLT_MAX), so that a folded norm hides no divergence.
const FLT_MAX = 0x1.fffffep+127f;
fn act4(y: vec4f) -> vec4f {
  let nan = (bitcast<vec4u>(y) & vec4u(0x7fffffffu)) > vec4u(0x7f800000u);   // by the bits: compilers may assume y == y
  let open = nan | ((y > vec4f(p.act_hi)) & vec4<bool>(p.act_hi >= FLT_MAX)) | ((y < vec4f(p.act_lo)) & vec4<bool>(p.act_lo <= -FLT_MAX));
  return select(clamp(y, vec4f(p.act_lo), vec4f(p.act_hi)), y, open);
}

// Output channels co..co+TC-1 of the norm's mean, scale and shift (0 past co: never stored).
struct Norm { mean: Row, scale: Row, shift: Row }
fn norm_row(co: u32) -> Norm {
  var r = Norm();
  for (var j = 0u; j < TC; j++) {
    if (co + j < p.co) {
      r.mean[j / 4u][j % 4u] = stats[co + j]; r.scale[j / 4u][j % 4u] = fwd[co + j]; r.shift[j / 4u][j % 4u] = fwd[p.co + co + j];
    }
  }
  return r;
}

// The batch norm of inference applied to a row of outputs, in batchnorm.wgsl's apply arithmetic.
fn normed(r: Row, nm: Norm) -> Row {
  var o = Row();
  for (var q = 0u; q < TC / 4u; q++) { o[q] = act4((r[q] - nm.mean[q]) * nm.scale[q] + nm.shift[q]); }
  return o;
}

// Real input index of virtual coordinate v, or -1 where v falls on padding or an inserted zero.
fn real(v: i32, size: u32) -> i32 {
  if (p.up == 1u) { return select(-1, v, v >= 0 && u32(v) < size); }   // no division (slow on lavapipe)
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

struct Block {
  acc: array<Row, MAX_TP>,
  px: array<vec3u, MAX_TP>,   // (n, oh, ow); ow = wo: no pixel
  co: u32,
}

// out[n, oh, ow, co] = sum over taps (kh, kw) and channels ci of
//   in[n, oh*stride + kh - pad_h, ow*stride + kw - pad_w, ci] * w[kh * kw_count + kw, ci, co]
// on the virtual input. With up = stride and transposed, mirrored weights (transpose_taps) this
// is the gradient to the input of a strided convolution.
fn conv_block(wg: vec3u, nwg: vec3u, lid: vec3u, vec4: bool) -> Block {
  var b = Block();
  b.co = wg.y * TC;
  let m0 = ((wg.z * nwg.x + wg.x) * WG + lid.x) * TP;
  for (var t = 0u; t < TP; t++) {
    b.px[t] = vec3u(0u, 0u, p.wo);
    if (m0 + t < pixel_count()) { b.px[t] = pixel(m0 + t); }
  }
  for (var kh = 0u; kh < p.kh; kh++) {
    for (var kw = 0u; kw < p.kw; kw++) {
      var base = array<i32, MAX_TP>();   // offset of each pixel's input, or -1
      var hit = false;
      for (var t = 0u; t < TP; t++) {
        let ih = real(i32(b.px[t].y * p.stride + kh) - p.pad_h, p.hi);
        let iw = real(i32(b.px[t].z * p.stride + kw) - p.pad_w, p.wi);
        base[t] = -1;
        if (ih >= 0 && iw >= 0 && b.px[t].z < p.wo) { base[t] = i32(((b.px[t].x * p.hi + u32(ih)) * p.wi + u32(iw)) * p.ca); hit = true; }
      }
      if (hit) {
        let tap = kh * p.kw + kw;
        for (var ci = 0u; ci < p.ca; ci += 4u) {
          var v = array<vec4f, MAX_TP>();
          for (var t = 0u; t < TP; t++) { if (base[t] >= 0) { v[t] = load_a(u32(base[t]) + ci, ci); } }
          for (var j = 0u; j < 4u; j++) {
            var wr = Row();
            if (ci + j < p.ca) { wr = load_row((tap * p.ca + ci + j) * p.co + b.co, b.co, vec4); }
            for (var t = 0u; t < TP; t++) {
              for (var q = 0u; q < TC / 4u; q++) { b.acc[t][q] = fma(vec4f(v[t][j]), wr[q], b.acc[t][q]); }
            }
          }
        }
      }
    }
  }
  return b;
}

// Element offset of block pixel t's output, or -1 where there is none.
fn conv_out(b: Block, t: u32) -> i32 {
  let m = b.px[t];
  if (m.z >= p.wo) { return -1; }
  return i32(((m.x * p.ho + m.y) * p.wo + m.z) * p.co + b.co);
}

@compute @workgroup_size(WG)
fn conv4(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let b = conv_block(wg, nwg, lid, true);
  for (var t = 0u; t < TP; t++) { let o = conv_out(b, t); if (o >= 0) { store_row4(u32(o), b.co, b.acc[t]); } }
}

@compute @workgroup_size(WG)
fn conv1(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let b = conv_block(wg, nwg, lid, false);
  for (var t = 0u; t < TP; t++) { let o = conv_out(b, t); if (o >= 0) { store_row1(u32(o), b.co, b.acc[t]); } }
}

@compute @workgroup_size(WG)
fn conv_bias4(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let b = conv_block(wg, nwg, lid, true);
  let bb = bias_row(b.co);
  for (var t = 0u; t < TP; t++) { let o = conv_out(b, t); if (o >= 0) { store_row4(u32(o), b.co, biased(b.acc[t], bb)); } }
}

@compute @workgroup_size(WG)
fn conv_bias1(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let b = conv_block(wg, nwg, lid, false);
  let bb = bias_row(b.co);
  for (var t = 0u; t < TP; t++) { let o = conv_out(b, t); if (o >= 0) { store_row1(u32(o), b.co, biased(b.acc[t], bb)); } }
}

@compute @workgroup_size(WG)
fn conv_norm4(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let b = conv_block(wg, nwg, lid, true);
  let nm = norm_row(b.co);
  for (var t = 0u; t < TP; t++) { let o = conv_out(b, t); if (o >= 0) { store_row4(u32(o), b.co, normed(b.acc[t], nm)); } }
}

@compute @workgroup_size(WG)
fn conv_norm1(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let b = conv_block(wg, nwg, lid, false);
  let nm = norm_row(b.co);
  for (var t = 0u; t < TP; t++) { let o = conv_out(b, t); if (o >= 0) { store_row1(u32(o), b.co, normed(b.acc[t], nm)); } }
}

// out[tap, co, ci] = w[kh * kw - 1 - tap, ci, co] with ca = ci count, co = co count: the weights
// of the transposed convolution (mirrored taps, input and output channels swapped).
@compute @workgroup_size(WG)
fn transpose_taps(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = (wg.y * nwg.x + wg.x) * WG + lid.x;
  if (i >= p.len) { return; }
  let ci = i % p.ca;
  let co = (i / p.ca) % p.co;
  let tap = i / (p.ca * p.co);
  out[i] = w[((p.kh * p.kw - 1u - tap) * p.ca + ci) * p.co + co];
}

// Partial sums of the weight gradient, out[chunk, kh, kw, ci, co] = sum over the chunk's output
// pixels of in[n, oh*stride + kh - pad_h, ow*stride + kw - pad_w, ci] * grad[n, oh, ow, co], with
// grad bound as `w`. Lanes walk (tap, 4 input channels) rows, so that the gradient loads of a
// workgroup (output-channel block from workgroup_id.y, chunk from workgroup_id.z) are uniform.
struct Taps {
  acc: array<Row, 4>,   // input channels ci..ci+3
  o: u32,               // element offset of (chunk, tap, ci, co) in the partial sums
  ci: u32, co: u32,
  ok: bool,             // false: this invocation owns nothing
}

fn weight_grad_taps(wg: vec3u, lid: vec3u, vec4: bool) -> Taps {
  var r = Taps();
  r.co = wg.y * TC;
  let chunk = wg.z;
  let groups = (p.ca + 3u) / 4u;
  let row = wg.x * WG + lid.x;
  if (row >= p.kh * p.kw * groups) { return r; }
  r.ok = true;
  r.ci = (row % groups) * 4u;
  let tap = row / groups;
  let kh = tap / p.kw;
  let kw = tap % p.kw;
  r.o = ((chunk * p.kh * p.kw + tap) * p.ca + r.ci) * p.co + r.co;
  let end = min(p.n * p.ho * p.wo, (chunk + 1u) * p.pixels_per_chunk);
  for (var m = chunk * p.pixels_per_chunk; m < end; m++) {
    let ow = m % p.wo;
    let oh = (m / p.wo) % p.ho;
    let ih = i32(oh * p.stride + kh) - p.pad_h;
    let iw = i32(ow * p.stride + kw) - p.pad_w;
    if (ih >= 0 && iw >= 0 && u32(ih) < p.hi && u32(iw) < p.wi) {
      let v = load_a((((m / (p.wo * p.ho)) * p.hi + u32(ih)) * p.wi + u32(iw)) * p.ca + r.ci, r.ci);
      let g = load_row(m * p.co + r.co, r.co, vec4);
      for (var j = 0u; j < 4u; j++) {
        for (var q = 0u; q < TC / 4u; q++) { r.acc[j][q] = fma(vec4f(v[j]), g[q], r.acc[j][q]); }
      }
    }
  }
  return r;
}

@compute @workgroup_size(WG)
fn weight_grad4(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let r = weight_grad_taps(wg, lid, true);
  for (var j = 0u; j < 4u; j++) { if (r.ok && r.ci + j < p.ca) { store_row4(r.o + j * p.co, r.co, r.acc[j]); } }
}

@compute @workgroup_size(WG)
fn weight_grad1(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let r = weight_grad_taps(wg, lid, false);
  for (var j = 0u; j < 4u; j++) { if (r.ok && r.ci + j < p.ca) { store_row1(r.o + j * p.co, r.co, r.acc[j]); } }
}
