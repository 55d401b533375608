// Batch norm over x viewed as [rows, C] (channels last), normalised per channel over the rows.
// The row reductions are split in chunks of `chunk` rows: one invocation owns one channel group
// (4 channels, vec4, when C % 4 == 0; else one channel) over one chunk, so adjacent lanes read
// adjacent channels. It writes partial sums that a per-channel `finalize_*` pass combines.
// The elementwise passes (apply, dx) use the same geometry, so per-channel values are loaded once
// per invocation. The `_v4` and `_v1` entry points are one algorithm at two widths. A ReLU or
// ReLU6 after the norm is fused: apply clamps, and the backward recomputes its gradient mask.
override WG: u32 = 64;

struct Params {
  rows: u32,
  C: u32,
  chunk: u32,      // rows per invocation
  chunks: u32,     // ceil(rows / chunk)
  momentum: f32,
  eps: f32,
  training: u32,
  affine: u32,
  lo: f32,         // fused activation: clamp to [lo, hi] (ReLU, ReLU6; +-FLT_MAX for none)
  hi: f32,
  residual: u32,   // apply: 1 adds `res` to the output (then there is no activation)
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> x4: array<vec4f>;
@group(0) @binding(3) var<storage, read> g: array<f32>;
@group(0) @binding(4) var<storage, read> g4: array<vec4f>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;
@group(0) @binding(6) var<storage, read_write> out4: array<vec4f>;
// [chunks, 2, C]: per chunk, two sums per channel
@group(0) @binding(7) var<storage, read_write> partial: array<f32>;
@group(0) @binding(8) var<storage, read_write> partial4: array<vec4f>;
// [2, C]: mean and 1/sqrt(var + eps) used by the forward (batch or running statistics)
@group(0) @binding(9) var<storage, read_write> stats: array<f32>;
@group(0) @binding(10) var<storage, read_write> stats4: array<vec4f>;
// [2, C]: forward scale (weight * inv_std) and bias, kept for the backward of the activation
@group(0) @binding(11) var<storage, read_write> fwd: array<f32>;
@group(0) @binding(12) var<storage, read_write> fwd4: array<vec4f>;
// [3, C]: backward a, b, c of dx = a g' + b (x - mean) + c, with g' the gradient past the activation
@group(0) @binding(13) var<storage, read_write> coef: array<f32>;
@group(0) @binding(14) var<storage, read_write> coef4: array<vec4f>;
@group(0) @binding(15) var<storage, read> weight: array<f32>;
@group(0) @binding(16) var<storage, read> bias: array<f32>;
@group(0) @binding(17) var<storage, read_write> running_mean: array<f32>;
@group(0) @binding(18) var<storage, read_write> running_var: array<f32>;
@group(0) @binding(19) var<storage, read_write> dweight: array<f32>;
@group(0) @binding(20) var<storage, read_write> dbias: array<f32>;
// apply: a residual of x's shape added to the normalised output (a block's shortcut): the add costs no pass of its own
@group(0) @binding(21) var<storage, read> res: array<f32>;
@group(0) @binding(22) var<storage, read> res4: array<vec4f>;

fn invocation(wg: vec3u, nwg: vec3u, lid: vec3u) -> u32 { return (wg.y * nwg.x + wg.x) * WG + lid.x; }

// Rows [r0, r1) of one chunk; r0 >= r1 marks an invocation past the end.
fn chunk_rows(chunk: u32) -> vec2u { return vec2u(chunk * p.chunk, min(chunk * p.chunk + p.chunk, p.rows)); }

const FLT_MAX = 0x1.fffffep+127f;
// By the bits: compilers may assume x == x.
fn is_nan(x: vec4f) -> vec4<bool> { return (bitcast<vec4u>(x) & vec4u(0x7fffffffu)) > vec4u(0x7f800000u); }
// The fused activation, as PyTorch's clamp: NaN passes, and an infinity passes a side left open (+-FLT_MAX).
fn act4(y: vec4f) -> vec4f {
  let open = is_nan(y) | ((y > vec4f(p.hi)) & vec4<bool>(p.hi >= FLT_MAX)) | ((y < vec4f(p.lo)) & vec4<bool>(p.lo <= -FLT_MAX));
  return select(clamp(y, vec4f(p.lo), vec4f(p.hi)), y, open);
}
fn act(y: f32) -> f32 { return act4(vec4f(y)).x; }

// The upstream gradient past the clamp: it passes where y = (x - mean) scale + bias is strictly inside.
fn past_clamp4(g: vec4f, y: vec4f) -> vec4f { return select(vec4f(0.0), g, (y > vec4f(p.lo)) & (y < vec4f(p.hi))); }
fn past_clamp(g: f32, y: f32) -> f32 { return select(0.0, g, y > p.lo && y < p.hi); }

fn channel_weight(c: u32) -> f32 { if (p.affine == 1u) { return weight[c]; } return 1.0; }
fn channel_bias(c: u32) -> f32 { if (p.affine == 1u) { return bias[c]; } return 0.0; }

// ---- forward ---------------------------------------------------------------------------------

// Sums of (x - x[0]) and its square per chunk: shifting by the first row keeps the variance
// accurate when |mean| >> std (sum of squares minus squared sum cancels otherwise).
@compute @workgroup_size(WG)
fn stats_v4(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let G = p.C / 4;
  let i = invocation(wg, nwg, lid);
  let cg = i % G;
  let chunk = i / G;
  let r = chunk_rows(chunk);
  if (r.x >= r.y) { return; }
  let shift = x4[cg];
  var s1 = vec4f(0.0);
  var s2 = vec4f(0.0);
  for (var row = r.x; row < r.y; row++) {
    let d = x4[row * G + cg] - shift;
    s1 += d;
    s2 += d * d;
  }
  partial4[2u * chunk * G + cg] = s1;
  partial4[(2u * chunk + 1u) * G + cg] = s2;
}

@compute @workgroup_size(WG)
fn stats_v1(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = invocation(wg, nwg, lid);
  let c = i % p.C;
  let chunk = i / p.C;
  let r = chunk_rows(chunk);
  if (r.x >= r.y) { return; }
  let shift = x[c];
  var s1 = 0.0;
  var s2 = 0.0;
  for (var row = r.x; row < r.y; row++) {
    let d = x[row * p.C + c] - shift;
    s1 += d;
    s2 += d * d;
  }
  partial[2u * chunk * p.C + c] = s1;
  partial[(2u * chunk + 1u) * p.C + c] = s2;
}

// Per channel: batch statistics from the partial sums (training; also updates the running
// statistics with the unbiased variance) or the running statistics (eval); then the apply
// coefficients.
@compute @workgroup_size(WG)
fn finalize_forward(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let c = invocation(wg, nwg, lid);
  if (c >= p.C) { return; }
  var mean = running_mean[c];
  var variance = running_var[c];
  if (p.training == 1u) {
    var s1 = 0.0;
    var s2 = 0.0;
    for (var k = 0u; k < p.chunks; k++) {
      s1 += partial[2u * k * p.C + c];
      s2 += partial[(2u * k + 1u) * p.C + c];
    }
    let n = f32(p.rows);
    let shifted_mean = s1 / n;
    mean = x[c] + shifted_mean;
    variance = max(s2 / n - shifted_mean * shifted_mean, 0.0);
    running_mean[c] = (1.0 - p.momentum) * running_mean[c] + p.momentum * mean;
    running_var[c] = (1.0 - p.momentum) * running_var[c] + p.momentum * variance * n / (n - 1.0);
  }
  let inv_std = 1.0 / sqrt(variance + p.eps);
  stats[c] = mean;
  stats[p.C + c] = inv_std;
  fwd[c] = channel_weight(c) * inv_std;
  fwd[p.C + c] = channel_bias(c);
}

// out = act((x - mean) * scale + bias): clamp to [lo, hi]; or (x - mean) * scale + bias + res
@compute @workgroup_size(WG)
fn apply_v4(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let G = p.C / 4;
  let i = invocation(wg, nwg, lid);
  let cg = i % G;
  let r = chunk_rows(i / G);
  if (r.x >= r.y) { return; }
  let mean = stats4[cg];
  let scale = fwd4[cg];
  let shift = fwd4[G + cg];
  for (var row = r.x; row < r.y; row++) {
    let j = row * G + cg;
    let y = (x4[j] - mean) * scale + shift;
    if (p.residual == 1u) { out4[j] = y + res4[j]; } else { out4[j] = act4(y); }
  }
}

@compute @workgroup_size(WG)
fn apply_v1(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = invocation(wg, nwg, lid);
  let c = i % p.C;
  let r = chunk_rows(i / p.C);
  if (r.x >= r.y) { return; }
  let mean = stats[c];
  let scale = fwd[c];
  let shift = fwd[p.C + c];
  for (var row = r.x; row < r.y; row++) {
    let j = row * p.C + c;
    let y = (x[j] - mean) * scale + shift;
    if (p.residual == 1u) { out[j] = y + res[j]; } else { out[j] = act(y); }
  }
}

// ---- backward --------------------------------------------------------------------------------

// Both reductions of the backward in one read of x and g: sum(g') and sum(g' (x - mean)), g'
// being g past the activation (recomputed from x: cheaper than reading the output).
@compute @workgroup_size(WG)
fn grad_sums_v4(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let G = p.C / 4;
  let i = invocation(wg, nwg, lid);
  let cg = i % G;
  let chunk = i / G;
  let r = chunk_rows(chunk);
  if (r.x >= r.y) { return; }
  let mean = stats4[cg];
  let scale = fwd4[cg];
  let shift = fwd4[G + cg];
  var sg = vec4f(0.0);
  var sgx = vec4f(0.0);
  for (var row = r.x; row < r.y; row++) {
    let j = row * G + cg;
    let xc = x4[j] - mean;
    let gv = past_clamp4(g4[j], xc * scale + shift);
    sg += gv;
    sgx += gv * xc;
  }
  partial4[2u * chunk * G + cg] = sg;
  partial4[(2u * chunk + 1u) * G + cg] = sgx;
}

@compute @workgroup_size(WG)
fn grad_sums_v1(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = invocation(wg, nwg, lid);
  let c = i % p.C;
  let chunk = i / p.C;
  let r = chunk_rows(chunk);
  if (r.x >= r.y) { return; }
  let mean = stats[c];
  let scale = fwd[c];
  let shift = fwd[p.C + c];
  var sg = 0.0;
  var sgx = 0.0;
  for (var row = r.x; row < r.y; row++) {
    let j = row * p.C + c;
    let xc = x[j] - mean;
    let gv = past_clamp(g[j], xc * scale + shift);
    sg += gv;
    sgx += gv * xc;
  }
  partial[2u * chunk * p.C + c] = sg;
  partial[(2u * chunk + 1u) * p.C + c] = sgx;
}

// Per channel: dweight = sum(g' xhat), dbias = sum(g'), and the dx coefficients. Training
// (gradient through the batch mean and variance):
//   dx = w inv_std (g' - sum(g')/n - xhat sum(g' xhat)/n)
// Eval (running statistics are constants): dx = w inv_std g'.
@compute @workgroup_size(WG)
fn finalize_backward(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let c = invocation(wg, nwg, lid);
  if (c >= p.C) { return; }
  var sg = 0.0;
  var sgx = 0.0;
  for (var k = 0u; k < p.chunks; k++) {
    sg += partial[2u * k * p.C + c];
    sgx += partial[(2u * k + 1u) * p.C + c];
  }
  let inv_std = stats[p.C + c];
  let a = channel_weight(c) * inv_std;
  let n = f32(p.rows);
  let train = f32(p.training);
  dweight[c] = sgx * inv_std;
  dbias[c] = sg;
  coef[c] = a;
  coef[p.C + c] = -train * a * inv_std * inv_std * sgx / n;
  coef[2u * p.C + c] = -train * a * sg / n;
}

// out = a g' + b (x - mean) + c
@compute @workgroup_size(WG)
fn dx_v4(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let G = p.C / 4;
  let i = invocation(wg, nwg, lid);
  let cg = i % G;
  let r = chunk_rows(i / G);
  if (r.x >= r.y) { return; }
  let mean = stats4[cg];
  let scale = fwd4[cg];
  let shift = fwd4[G + cg];
  let a = coef4[cg];
  let b = coef4[G + cg];
  let c = coef4[2u * G + cg];
  for (var row = r.x; row < r.y; row++) {
    let j = row * G + cg;
    let xc = x4[j] - mean;
    out4[j] = a * past_clamp4(g4[j], xc * scale + shift) + b * xc + c;
  }
}

@compute @workgroup_size(WG)
fn dx_v1(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = invocation(wg, nwg, lid);
  let ch = i % p.C;
  let r = chunk_rows(i / p.C);
  if (r.x >= r.y) { return; }
  let mean = stats[ch];
  let scale = fwd[ch];
  let shift = fwd[p.C + ch];
  let a = coef[ch];
  let b = coef[p.C + ch];
  let c = coef[2u * p.C + ch];
  for (var row = r.x; row < r.y; row++) {
    let j = row * p.C + ch;
    let xc = x[j] - mean;
    out[j] = a * past_clamp(g[j], xc * scale + shift) + b * xc + c;
  }
}
