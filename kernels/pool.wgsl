// Global average pooling of x [N, HW, C] (channels last) to [N, C], and its backward.
override WG: u32 = 64;

struct Params { N: u32, HW: u32, C: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

fn invocation(wg: vec3u, nwg: vec3u, lid: vec3u) -> u32 { return (wg.y * nwg.x + wg.x) * WG + lid.x; }

// One invocation per (n, c): adjacent lanes read adjacent channels.
@compute @workgroup_size(WG)
fn avg_forward(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = invocation(wg, nwg, lid);
  if (i >= p.N * p.C) { return; }
  let n = i / p.C;
  let c = i % p.C;
  var s = 0.0;
  for (var r = 0u; r < p.HW; r++) { s += x[(n * p.HW + r) * p.C + c]; }
  out[i] = s / f32(p.HW);
}

// dx[n, r, c] = g[n, c] / HW, with x bound to the upstream gradient g [N, C]; the same
// invocation layout as the forward, so each g value is loaded once.
@compute @workgroup_size(WG)
fn avg_backward(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = invocation(wg, nwg, lid);
  if (i >= p.N * p.C) { return; }
  let n = i / p.C;
  let c = i % p.C;
  let v = x[i] / f32(p.HW);
  for (var r = 0u; r < p.HW; r++) { out[(n * p.HW + r) * p.C + c] = v; }
}
