// Elementwise kernels over flat f32 arrays. One invocation per element; the grid may be 2-D
// when there are more than 65535 workgroups.
override WG: u32 = 64;

struct Params { n: u32, alpha: f32, beta: f32, offset: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

fn index(wg: vec3u, nwg: vec3u, lid: vec3u) -> u32 { return (wg.y * nwg.x + wg.x) * WG + lid.x; }

// out = alpha * a + beta * b
@compute @workgroup_size(WG)
fn axpby(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = index(wg, nwg, lid);
  if (i < p.n) { out[i] = p.alpha * a[i] + p.beta * b[i]; }
}

// out = a * b
@compute @workgroup_size(WG)
fn mul(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = index(wg, nwg, lid);
  if (i < p.n) { out[i] = a[i] * b[i]; }
}

// out = alpha * a
@compute @workgroup_size(WG)
fn scale(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = index(wg, nwg, lid);
  if (i < p.n) { out[i] = p.alpha * a[i]; }
}

// out += alpha * a (gradient accumulation)
@compute @workgroup_size(WG)
fn accumulate(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = index(wg, nwg, lid);
  if (i < p.n) { out[i] = out[i] + p.alpha * a[i]; }
}

@compute @workgroup_size(WG)
fn fill(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = index(wg, nwg, lid);
  if (i < p.n) { out[i] = p.alpha; }
}

// Clamp to [alpha, beta]: ReLU is [0, inf), ReLU6 is [0, 6].
@compute @workgroup_size(WG)
fn clamp_fwd(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = index(wg, nwg, lid);
  if (i < p.n) { out[i] = clamp(a[i], p.alpha, p.beta); }
}

// Gradient of the clamp: passes where the input `a` was strictly inside (alpha, beta).
@compute @workgroup_size(WG)
fn clamp_bwd(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = index(wg, nwg, lid);
  if (i < p.n) { out[i] = select(0.0, b[i], a[i] > p.alpha && a[i] < p.beta); }
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
