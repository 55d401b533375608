// The supernet's weighted mix of K candidate tensors, out = sum_k w[k] x_k, and its backward.
// A dispatch takes up to four candidates (x0..x3 from index k0): storage bindings per stage are
// limited to 8 on some adapters. Tensors are read as vec4: pool buffers are 16-byte multiples,
// so the last vec4 stays inside the buffer; lanes past n are masked where they are summed.
override WG: u32 = 64;

struct Params {
  n: u32,          // elements per candidate
  k0: u32,         // index in w of x0
  count: u32,      // candidates bound in this dispatch (x0..x{count-1}); K for mix_dw
  accumulate: u32, // mix_forward adds to out instead of overwriting it
  chunk: u32,      // vec4s per invocation in mix_dot
  chunks: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> x0: array<vec4f>;
@group(0) @binding(3) var<storage, read> x1: array<vec4f>;
@group(0) @binding(4) var<storage, read> x2: array<vec4f>;
@group(0) @binding(5) var<storage, read> x3: array<vec4f>;
@group(0) @binding(6) var<storage, read> g: array<vec4f>;
@group(0) @binding(7) var<storage, read_write> out: array<vec4f>;
// [K, chunks] partial sums of g * x_k
@group(0) @binding(8) var<storage, read_write> partial: array<f32>;
@group(0) @binding(9) var<storage, read_write> dw: array<f32>;
@group(0) @binding(10) var<storage, read_write> dx0: array<vec4f>;
@group(0) @binding(11) var<storage, read_write> dx1: array<vec4f>;
@group(0) @binding(12) var<storage, read_write> dx2: array<vec4f>;
@group(0) @binding(13) var<storage, read_write> dx3: array<vec4f>;

fn invocation(wg: vec3u, nwg: vec3u, lid: vec3u) -> u32 { return (wg.y * nwg.x + wg.x) * WG + lid.x; }

fn vec4s() -> u32 { return (p.n + 3u) / 4u; }

@compute @workgroup_size(WG)
fn mix_forward(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = invocation(wg, nwg, lid);
  if (i >= vec4s()) { return; }
  var acc = w[p.k0] * x0[i];
  if (p.count > 1u) { acc += w[p.k0 + 1u] * x1[i]; }
  if (p.count > 2u) { acc += w[p.k0 + 2u] * x2[i]; }
  if (p.count > 3u) { acc += w[p.k0 + 3u] * x3[i]; }
  if (p.accumulate == 1u) { acc += out[i]; }
  out[i] = acc;
}

// dx_k = w[k] g for each bound candidate: one read of g for up to four gradients.
@compute @workgroup_size(WG)
fn mix_scale(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = invocation(wg, nwg, lid);
  if (i >= vec4s()) { return; }
  let gv = g[i];
  dx0[i] = w[p.k0] * gv;
  if (p.count > 1u) { dx1[i] = w[p.k0 + 1u] * gv; }
  if (p.count > 2u) { dx2[i] = w[p.k0 + 2u] * gv; }
  if (p.count > 3u) { dx3[i] = w[p.k0 + 3u] * gv; }
}

// Partial sums of g * x_k over one chunk, for each bound candidate.
@compute @workgroup_size(WG)
fn mix_dot(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let c = invocation(wg, nwg, lid);
  if (c >= p.chunks) { return; }
  var acc = array<vec4f, 4>();
  for (var i = c * p.chunk; i < min(c * p.chunk + p.chunk, vec4s()); i++) {
    let valid = vec4u(4u * i) + vec4u(0u, 1u, 2u, 3u) < vec4u(p.n);
    let gv = g[i];
    acc[0] += select(vec4f(0.0), gv * x0[i], valid);
    if (p.count > 1u) { acc[1] += select(vec4f(0.0), gv * x1[i], valid); }
    if (p.count > 2u) { acc[2] += select(vec4f(0.0), gv * x2[i], valid); }
    if (p.count > 3u) { acc[3] += select(vec4f(0.0), gv * x3[i], valid); }
  }
  for (var k = 0u; k < p.count; k++) { partial[(p.k0 + k) * p.chunks + c] = dot(acc[k], vec4f(1.0)); }
}

// dw[k] = sum of the partial sums, one invocation per candidate.
@compute @workgroup_size(WG)
fn mix_dw(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let k = invocation(wg, nwg, lid);
  if (k >= p.count) { return; }
  var s = 0.0;
  for (var c = 0u; c < p.chunks; c++) { s += partial[k * p.chunks + c]; }
  dw[k] = s;
}
