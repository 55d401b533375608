enable subgroups;

// Depthwise KxK convolution of channels-last tensors: the forward pass, its transpose (the
// gradient to the input) and per-chunk partial sums of the gradient to the weights.
//
// On lavapipe every load or store whose address differs between lanes costs about the same,
// scalar or vec4, so these kernels count accesses: an invocation owns 4 adjacent channels (one
// vec4) of a TH x TW block of pixels, loads each input row window once for every tap and output
// row it serves, and stores vec4s. The channel group comes from workgroup_id.y when WG_C is 1:
// the lanes then walk pixels and weight loads have one address for all of them (loaded once
// and broadcast with SG, see below). Entry points ending in 4 need C % 4 == 0; those ending in
// 1 take any C. K, S and U are override constants so the tap loops unroll and the windows stay
// in registers; a loop that does not unroll (too big, or left early with continue or break)
// spills its arrays to memory and runs several times slower.

// Inside any branch or loop lavapipe loads per lane even at one address, so the forward entries
// with SG (WG_C = 1 and subgroups of 8 consecutive lanes, lavapipe's) load each weight tap in one
// lane and hand it to the others with subgroupBroadcast, before anything branches.
//
// Variables get explicit initialisers: here a plain `var v: T;` declared in a loop body kept its
// value from the previous iteration instead of starting at zero.
const MAX_K = 7u;
const MAX_TH = 4u;
const MAX_TW = 8u;
const MAX_WIN = 21u;    // (TW - 1) * S + K input columns per window

override K: u32 = 3u;
override S: u32 = 1u;   // stride over the virtual input
override U: u32 = 1u;   // the virtual input has U - 1 zeros between real pixels (U = stride: transposed)
override TH: u32 = 2u;
override TW: u32 = 4u;
override KR: u32 = 3u;  // weight gradient: tap rows per invocation
override WG_C: u32 = 1u;
override WG_P: u32 = 32u;
override SG: bool = false;   // forward taps shared through the subgroup: WG_C == 1, subgroups of 8
const MAX_TAPS = 56u;        // MAX_K * MAX_K taps, rounded up to whole subgroups

struct Params {
  n: u32, hi: u32, wi: u32, c: u32,   // input shape [n, hi, wi, c]
  ho: u32, wo: u32,                    // output rows and columns
  pad: i32,                            // padding of the virtual input
  flip: u32,                           // 1: taps mirrored (transposed convolution)
  rows_per_chunk: u32, chunks: u32,    // weight gradient: input rows (n, ih) per partial sum
  act_lo: f32, act_hi: f32,            // conv_bias: the output clamp
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> x4: array<vec4f>;   // x again, for vec4 loads
@group(0) @binding(3) var<storage, read> w: array<f32>;      // weights, or the output gradient
@group(0) @binding(4) var<storage, read> w4: array<vec4f>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;
@group(0) @binding(6) var<storage, read_write> out4: array<vec4f>;
@group(0) @binding(7) var<storage, read> bias: array<f32>;   // conv_bias: out = clamp(conv + bias, lo, hi)
// conv_norm: an eval batch norm's [2, C] statistics (mean first) and [2, C] scale and shift
// (batchnorm.wgsl's `stats` and `fwd`): out = clamp((conv - mean) scale + shift, lo, hi).
@group(0) @binding(8) var<storage, read> stats: array<f32>;
@group(0) @binding(9) var<storage, read> fwd: array<f32>;

// Channels c..c+3 at element offset i (= pixel * C + c); channels past C read 0.
fn load_x(i: u32, c: u32, vec4: bool) -> vec4f {
  if (vec4) { return x4[i / 4u]; }
  var v = vec4f();
  for (var j = 0u; j < 4u; j++) { if (c + j < p.c) { v[j] = x[i + j]; } }
  return v;
}

fn load_w(i: u32, c: u32, vec4: bool) -> vec4f {
  if (vec4) { return w4[i / 4u]; }
  var v = vec4f();
  for (var j = 0u; j < 4u; j++) { if (c + j < p.c) { v[j] = w[i + j]; } }
  return v;
}

// Not shared with the vec4 entries: a read_write binding that an entry point mentions may not
// alias another, even on a path it never takes.
fn store1(i: u32, c: u32, v: vec4f) {
  for (var j = 0u; j < 4u; j++) { if (c + j < p.c) { out[i + j] = v[j]; } }
}

// Real input index of virtual coordinate v, or -1 where v falls on padding or an inserted zero.
fn real(v: i32, size: u32) -> i32 {
  if (v < 0 || u32(v) % U != 0u || u32(v) / U >= size) { return -1; }
  return i32(u32(v) / U);
}

// Input row `row` (= n * hi + ih) from virtual column v0 on; zeros outside the input.
fn window(row: u32, v0: i32, c: u32, vec4: bool) -> array<vec4f, MAX_WIN> {
  var win = array<vec4f, MAX_WIN>();
  for (var j = 0u; j < (TW - 1u) * S + K; j++) {
    let iw = real(v0 + i32(j), p.wi);
    if (iw >= 0) { win[j] = load_x((row * p.wi + u32(iw)) * p.c + c, c, vec4); }
  }
  return win;
}

struct Block {
  acc: array<vec4f, MAX_TH * MAX_TW>,   // [th * TW + t]
  n: u32, oh0: u32, ow0: u32, c: u32,
  ok: bool,                             // false: this invocation owns nothing
}

// out[n, oh, ow, c] = sum over taps of in[n, oh*S + kh - pad, ow*S + kw - pad, c] * w[kh, kw, c]
// on the virtual input, for one block. With flip = 1 and U = stride it is the gradient to the
// input of a strided convolution.
fn conv_block(wg: vec3u, nwg: vec3u, lid: vec3u, vec4: bool) -> Block {
  var b = Block();
  b.c = (wg.y * WG_C + lid.x) * 4u;
  // The taps in the order the loops below read them (mirrored with flip): lane l loads taps l, l + 8, ...
  var taps = array<vec4f, MAX_TAPS>();
  if (SG) {
    for (var s = 0u; s < (K * K + 7u) / 8u; s++) {
      let j = 8u * s + lid.y % 8u;
      var v = vec4f();
      if (j < K * K && b.c < p.c) { v = load_w(select(j, K * K - 1u - j, p.flip != 0u) * p.c + b.c, b.c, vec4); }
      taps[8u * s] = subgroupBroadcast(v, 0u); taps[8u * s + 1u] = subgroupBroadcast(v, 1u);
      taps[8u * s + 2u] = subgroupBroadcast(v, 2u); taps[8u * s + 3u] = subgroupBroadcast(v, 3u);
      taps[8u * s + 4u] = subgroupBroadcast(v, 4u); taps[8u * s + 5u] = subgroupBroadcast(v, 5u);
      taps[8u * s + 6u] = subgroupBroadcast(v, 6u); taps[8u * s + 7u] = subgroupBroadcast(v, 7u);
    }
  }
  let bw = (p.wo + TW - 1u) / TW;
  let bh = (p.ho + TH - 1u) / TH;
  let i = (wg.z * nwg.x + wg.x) * WG_P + lid.y;
  if (b.c >= p.c || i >= p.n * bh * bw) { return b; }
  b.ok = true;
  b.ow0 = (i % bw) * TW;
  b.oh0 = ((i / bw) % bh) * TH;
  b.n = i / (bw * bh);
  // Each input row the block covers is loaded once and used by every output row it reaches.
  for (var r = 0u; r < (TH - 1u) * S + K; r++) {
    let ih = real(i32(b.oh0 * S + r) - p.pad, p.hi);
    if (ih >= 0) {
      let win = window(b.n * p.hi + u32(ih), i32(b.ow0 * S) - p.pad, b.c, vec4);
      for (var th = 0u; th < TH; th++) {
        let kh = r - th * S;   // the tap row joining input row r to output row th
        if (r >= th * S && kh < K) {
          let wrow = select(kh, K - 1u - kh, p.flip != 0u);
          for (var kw = 0u; kw < K; kw++) {
            var wv: vec4f;
            if (SG) { wv = taps[kh * K + kw]; } else { wv = load_w((wrow * K + select(kw, K - 1u - kw, p.flip != 0u)) * p.c + b.c, b.c, vec4); }
            for (var t = 0u; t < TW; t++) { b.acc[th * TW + t] = fma(win[t * S + kw], wv, b.acc[th * TW + t]); }
          }
        }
      }
    }
  }
  return b;
}

// Element offset of output pixel (th, t) of a block, or -1 past the edge.
fn conv_out(b: Block, th: u32, t: u32) -> i32 {
  if (b.oh0 + th >= p.ho || b.ow0 + t >= p.wo) { return -1; }
  return i32(((b.n * p.ho + b.oh0 + th) * p.wo + b.ow0 + t) * p.c + b.c);
}

@compute @workgroup_size(WG_C, WG_P)
fn conv4(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let b = conv_block(wg, nwg, lid, true);
  if (!b.ok) { return; }
  for (var th = 0u; th < TH; th++) {
    for (var t = 0u; t < TW; t++) {
      let o = conv_out(b, th, t);
      if (o >= 0) { out4[u32(o) / 4u] = b.acc[th * TW + t]; }
    }
  }
}

@compute @workgroup_size(WG_C, WG_P)
fn conv1(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let b = conv_block(wg, nwg, lid, false);
  if (!b.ok) { return; }
  for (var th = 0u; th < TH; th++) {
    for (var t = 0u; t < TW; t++) {
      let o = conv_out(b, th, t);
      if (o >= 0) { store1(u32(o), b.c, b.acc[th * TW + t]); }
    }
  }
}

// The bias of channels c..c+3 (0 past C: never stored), loaded once per invocation.
fn bias4(c: u32) -> vec4f {
  var bv = vec4f();
  for (var j = 0u; j < 4u; j++) { if (c + j < p.c) { bv[j] = bias[c + j]; } }
  return bv;
}

@compute @workgroup_size(WG_C, WG_P)
fn conv_bias4(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let b = conv_block(wg, nwg, lid, true);
  if (!b.ok) { return; }
  let bv = bias4(b.c);
  for (var th = 0u; th < TH; th++) {
    for (var t = 0u; t < TW; t++) {
      let o = conv_out(b, th, t);
      if (o >= 0) { out4[u32(o) / 4u] = clamp(b.acc[th * TW + t] + bv, vec4f(p.act_lo), vec4f(p.act_hi)); }
    }
  }
}

@compute @workgroup_size(WG_C, WG_P)
fn conv_bias1(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let b = conv_block(wg, nwg, lid, false);
  if (!b.ok) { return; }
  let bv = bias4(b.c);
  for (var th = 0u; th < TH; th++) {
    for (var t = 0u; t < TW; t++) {
      let o = conv_out(b, th, t);
      if (o >= 0) { store1(u32(o), b.c, clamp(b.acc[th * TW + t] + bv, vec4f(p.act_lo), vec4f(p.act_hi))); }
    }
  }
}

// The norm entries' activation, as batchnorm.wgsl's (PyTorch's clamp): NaN passes, and an
// infinity passes a side left open (+-FLT_MAX), so that a folded norm hides no divergence.
const FLT_MAX = 0x1.fffffep+127f;
fn act4(y: vec4f) -> vec4f {
  let nan = (bitcast<vec4u>(y) & vec4u(0x7fffffffu)) > vec4u(0x7f800000u);   // by the bits: compilers may assume y == y
  let open = nan | ((y > vec4f(p.act_hi)) & vec4<bool>(p.act_hi >= FLT_MAX)) | ((y < vec4f(p.act_lo)) & vec4<bool>(p.act_lo <= -FLT_MAX));
  return select(clamp(y, vec4f(p.act_lo), vec4f(p.act_hi)), y, open);
}

// Channels c..c+3 of the norm's mean, scale and shift (0 past C: never stored).
struct Norm { mean: vec4f, scale: vec4f, shift: vec4f }
fn norm4(c: u32) -> Norm {
  var r = Norm();
  for (var j = 0u; j < 4u; j++) {
    if (c + j < p.c) { r.mean[j] = stats[c + j]; r.scale[j] = fwd[c + j]; r.shift[j] = fwd[p.c + c + j]; }
  }
  return r;
}

// The batch norm of inference folded into the store, in batchnorm.wgsl's apply arithmetic.
@compute @workgroup_size(WG_C, WG_P)
fn conv_norm4(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let b = conv_block(wg, nwg, lid, true);
  if (!b.ok) { return; }
  let nm = norm4(b.c);
  for (var th = 0u; th < TH; th++) {
    for (var t = 0u; t < TW; t++) {
      let o = conv_out(b, th, t);
      if (o >= 0) { out4[u32(o) / 4u] = act4((b.acc[th * TW + t] - nm.mean) * nm.scale + nm.shift); }
    }
  }
}

@compute @workgroup_size(WG_C, WG_P)
fn conv_norm1(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let b = conv_block(wg, nwg, lid, false);
  if (!b.ok) { return; }
  let nm = norm4(b.c);
  for (var th = 0u; th < TH; th++) {
    for (var t = 0u; t < TW; t++) {
      let o = conv_out(b, th, t);
      if (o >= 0) { store1(u32(o), b.c, act4((b.acc[th * TW + t] - nm.mean) * nm.scale + nm.shift)); }
    }
  }
}

struct Taps {
  acc: array<vec4f, MAX_K * MAX_K>,   // [(kh - kh0) * K + kw]
  o: u32,                             // element offset of tap (kh0, 0) in the partial sums
  rows: u32,                          // tap rows owned (KR, or fewer in the last group)
  c: u32,
  ok: bool,
}

// Partial sums of the weight gradient, out[chunk, kh, kw, c] = sum over the chunk's input rows
// of in[n, ih, iw, c] * grad[n, oh, ow, c] where ih = oh*S + kh - pad and iw = ow*S + kw - pad,
// with grad bound as `w`. Each input row window is loaded once and meets the gradient rows of
// the KR tap rows this invocation owns (workgroup_id.z picks which). Lanes walk chunks.
fn weight_grad_taps(wg: vec3u, lid: vec3u, vec4: bool) -> Taps {
  var r = Taps();
  r.c = (wg.y * WG_C + lid.x) * 4u;
  let chunk = wg.x * WG_P + lid.y;
  if (r.c >= p.c || chunk >= p.chunks) { return r; }
  r.ok = true;
  let kh0 = wg.z * KR;
  r.rows = min(K, kh0 + KR) - kh0;
  r.o = (chunk * K + kh0) * K * p.c + r.c;
  let end = min(p.n * p.hi, (chunk + 1u) * p.rows_per_chunk);
  for (var row = chunk * p.rows_per_chunk; row < end; row++) {
    let n = row / p.hi;
    let ih = row % p.hi;
    for (var ow0 = 0u; ow0 < p.wo; ow0 += TW) {
      let win = window(row, i32(ow0 * S) - p.pad, r.c, vec4);
      for (var kr = 0u; kr < KR; kr++) {
        let kh = kh0 + kr;
        let v = i32(ih) + p.pad - i32(kh);   // oh * S
        if (kh < K && v >= 0 && u32(v) % S == 0u && u32(v) / S < p.ho) {
          let grow = (n * p.ho + u32(v) / S) * p.wo;
          for (var t = 0u; t < TW; t++) {
            var g = vec4f();
            if (ow0 + t < p.wo) { g = load_w((grow + ow0 + t) * p.c + r.c, r.c, vec4); }
            for (var kw = 0u; kw < K; kw++) { r.acc[kr * K + kw] = fma(win[t * S + kw], g, r.acc[kr * K + kw]); }
          }
        }
      }
    }
  }
  return r;
}

@compute @workgroup_size(WG_C, WG_P)
fn weight_grad4(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let r = weight_grad_taps(wg, lid, true);
  if (!r.ok) { return; }
  for (var k = 0u; k < KR * K; k++) { if (k < r.rows * K) { out4[(r.o + k * p.c) / 4u] = r.acc[k]; } }
}

@compute @workgroup_size(WG_C, WG_P)
fn weight_grad1(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let r = weight_grad_taps(wg, lid, false);
  if (!r.ok) { return; }
  for (var k = 0u; k < KR * K; k++) { if (k < r.rows * K) { store1(r.o + k * p.c, r.c, r.acc[k]); } }
}
