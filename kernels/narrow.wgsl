// A window along one axis of a tensor seen as [outer, axis, inner]: out = x[:, start:start+len, :]
// and its gradient, the window written back into zeros. One element per invocation; the grid may
// be 2-D when there are more than 65535 workgroups.
override WG: u32 = 64;

struct Params { n: u32, axis: u32, inner: u32, start: u32, len: u32 }   // n: elements of the output

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

fn index(wg: vec3u, nwg: vec3u, lid: vec3u) -> u32 { return (wg.y * nwg.x + wg.x) * WG + lid.x; }

// out[o, a, i] = x[o, start + a, i] for a < len; x has `axis` rows along the axis
@compute @workgroup_size(WG)
fn narrow_fwd(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let j = index(wg, nwg, lid);
  if (j >= p.n) { return; }
  let i = j % p.inner;
  let a = (j / p.inner) % p.len;
  let o = j / (p.inner * p.len);
  out[j] = x[(o * p.axis + p.start + a) * p.inner + i];
}

// out[o, a, i] = x[o, a - start, i] inside the window, 0 outside; out has `axis` rows, x has `len`
@compute @workgroup_size(WG)
fn narrow_bwd(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let j = index(wg, nwg, lid);
  if (j >= p.n) { return; }
  let i = j % p.inner;
  let a = (j / p.inner) % p.axis;
  let o = j / (p.inner * p.axis);
  var v = 0.0;
  if (a >= p.start && a < p.start + p.len) { v = x[(o * p.len + a - p.start) * p.inner + i]; }
  out[j] = v;
}
