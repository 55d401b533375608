// Elementwise kernels over flat f32 arrays. Each op has a scalar entry (one element per
// invocation) and a vec4 one, named with a trailing 4, for n % 4 == 0: four elements per
// invocation through vec4 bindings of the same buffers. lavapipe pays per load and store, not
// per float, so the vec4 entries cost about a quarter (measured 3-4x faster on 25 MB). The grid
// may be 2-D when there are more than 65535 workgroups.
override WG: u32 = 64;

struct Params { n: u32, alpha: f32, beta: f32, offset: u32 }   // n: floats, or vec4s in the vec4 entries

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<storage, read> a4: array<vec4f>;
@group(0) @binding(5) var<storage, read> b4: array<vec4f>;
@group(0) @binding(6) var<storage, read_write> out4: array<vec4f>;

fn index(wg: vec3u, nwg: vec3u, lid: vec3u) -> u32 { return (wg.y * nwg.x + wg.x) * WG + lid.x; }

const FLT_MAX = 0x1.fffffep+127f;
// By the bits: compilers may assume x == x.
fn is_nan(x: vec4f) -> vec4<bool> { return (bitcast<vec4u>(x) & vec4u(0x7fffffffu)) > vec4u(0x7f800000u); }
// clamp as PyTorch's: NaN passes through, and an infinity passes a side left open by FLT_MAX
// (ReLU's upper bound), where WGSL's clamp would make NaN a bound and +Inf FLT_MAX.
fn clamp_fwd_op(x: vec4f) -> vec4f {
  let open = is_nan(x) | ((x > vec4f(p.beta)) & vec4<bool>(p.beta >= FLT_MAX)) | ((x < vec4f(p.alpha)) & vec4<bool>(p.alpha <= -FLT_MAX));
  return select(clamp(x, vec4f(p.alpha), vec4f(p.beta)), x, open);
}
// The clamp's gradient y passes where the input x was strictly inside (alpha, beta).
fn clamp_bwd_op(x: vec4f, y: vec4f) -> vec4f { return select(vec4f(), y, (x > vec4f(p.alpha)) & (x < vec4f(p.beta))); }

// out = alpha * a + beta * b
@compute @workgroup_size(WG)
fn axpby(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = index(wg, nwg, lid);
  if (i < p.n) { out[i] = p.alpha * a[i] + p.beta * b[i]; }
}

@compute @workgroup_size(WG)
fn axpby4(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = index(wg, nwg, lid);
  if (i < p.n) { out4[i] = p.alpha * a4[i] + p.beta * b4[i]; }
}

// out = a * b
@compute @workgroup_size(WG)
fn mul(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = index(wg, nwg, lid);
  if (i < p.n) { out[i] = a[i] * b[i]; }
}

@compute @workgroup_size(WG)
fn mul4(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = index(wg, nwg, lid);
  if (i < p.n) { out4[i] = a4[i] * b4[i]; }
}

// out = alpha * a
@compute @workgroup_size(WG)
fn scale(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = index(wg, nwg, lid);
  if (i < p.n) { out[i] = p.alpha * a[i]; }
}

@compute @workgroup_size(WG)
fn scale4(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = index(wg, nwg, lid);
  if (i < p.n) { out4[i] = p.alpha * a4[i]; }
}

// out += alpha * a (gradient accumulation)
@compute @workgroup_size(WG)
fn accumulate(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = index(wg, nwg, lid);
  if (i < p.n) { out[i] = out[i] + p.alpha * a[i]; }
}

@compute @workgroup_size(WG)
fn accumulate4(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = index(wg, nwg, lid);
  if (i < p.n) { out4[i] = out4[i] + p.alpha * a4[i]; }
}

// out = alpha
@compute @workgroup_size(WG)
fn fill(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = index(wg, nwg, lid);
  if (i < p.n) { out[i] = p.alpha; }
}

// clamp to [alpha, beta]: ReLU is [0, inf), ReLU6 is [0, 6]
@compute @workgroup_size(WG)
fn clamp_fwd(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = index(wg, nwg, lid);
  if (i < p.n) { out[i] = clamp_fwd_op(vec4f(a[i])).x; }
}

@compute @workgroup_size(WG)
fn clamp_fwd4(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = index(wg, nwg, lid);
  if (i < p.n) { out4[i] = clamp_fwd_op(a4[i]); }
}

// gradient b of the clamp of a
@compute @workgroup_size(WG)
fn clamp_bwd(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = index(wg, nwg, lid);
  if (i < p.n) { out[i] = clamp_bwd_op(vec4f(a[i]), vec4f(b[i])).x; }
}

@compute @workgroup_size(WG)
fn clamp_bwd4(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = index(wg, nwg, lid);
  if (i < p.n) { out4[i] = clamp_bwd_op(a4[i], b4[i]); }
}

// out[i] = a[offset + i]: a contiguous slice of a flat array.
@compute @workgroup_size(WG)
fn slice_fwd(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = index(wg, nwg, lid);
  if (i < p.n) { out[i] = a[p.offset + i]; }
}

// out[offset + i] = a[i]: writes a slice back into place (the slice's gradient).
@compute @workgroup_size(WG)
fn slice_bwd(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = index(wg, nwg, lid);
  if (i < p.n) { out[p.offset + i] = a[i]; }
}
