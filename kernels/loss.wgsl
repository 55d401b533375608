// Softmax over the last dim of [rows, C] with a temperature, and cross-entropy with label
// smoothing. Row kernels run one invocation per row; every exp is max-subtracted.
override WG: u32 = 64;

struct Params {
  rows: u32,
  C: u32,
  inv_t: f32,       // 1 / temperature
  smoothing: f32,   // label smoothing eps: target = onehot (1 - eps) + eps / C
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read> labels: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
// cross-entropy per row: [loss; logsumexp], rows each
@group(0) @binding(5) var<storage, read_write> rowstat: array<f32>;

fn invocation(wg: vec3u, nwg: vec3u, lid: vec3u) -> u32 { return (wg.y * nwg.x + wg.x) * WG + lid.x; }

fn row_max(base: u32) -> f32 {
  var m = x[base];
  for (var j = 1u; j < p.C; j++) { m = max(m, x[base + j]); }
  return m;
}

// log(sum(exp(x * inv_t))) over one row
fn row_logsumexp(base: u32) -> f32 {
  let m = row_max(base) * p.inv_t;
  var s = 0.0;
  for (var j = 0u; j < p.C; j++) { s += exp(x[base + j] * p.inv_t - m); }
  return m + log(s);
}

@compute @workgroup_size(WG)
fn softmax_forward(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let r = invocation(wg, nwg, lid);
  if (r >= p.rows) { return; }
  let base = r * p.C;
  let m = row_max(base) * p.inv_t;
  var s = 0.0;
  for (var j = 0u; j < p.C; j++) {
    let e = exp(x[base + j] * p.inv_t - m);
    out[base + j] = e;
    s += e;
  }
  for (var j = 0u; j < p.C; j++) { out[base + j] /= s; }
}

// x is the softmax output y here: dx = y (g - sum(g y)) / T
@compute @workgroup_size(WG)
fn softmax_backward(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let r = invocation(wg, nwg, lid);
  if (r >= p.rows) { return; }
  let base = r * p.C;
  var gy = 0.0;
  for (var j = 0u; j < p.C; j++) { gy += g[base + j] * x[base + j]; }
  for (var j = 0u; j < p.C; j++) { out[base + j] = x[base + j] * (g[base + j] - gy) * p.inv_t; }
}

// Per row: loss = sum_j -target_j log_softmax_j = lse - (1 - eps) x_label - eps/C sum_j x_j.
@compute @workgroup_size(WG)
fn xent_forward(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let r = invocation(wg, nwg, lid);
  if (r >= p.rows) { return; }
  let base = r * p.C;
  let lse = row_logsumexp(base);
  var sum = 0.0;
  for (var j = 0u; j < p.C; j++) { sum += x[base + j]; }
  let label = u32(labels[r]);
  rowstat[r] = lse - (1.0 - p.smoothing) * x[base + label] - p.smoothing / f32(p.C) * sum;
  rowstat[p.rows + r] = lse;
}

// out[0] = mean of the row losses (a single invocation: batches are small)
@compute @workgroup_size(1)
fn xent_mean() {
  var s = 0.0;
  for (var r = 0u; r < p.rows; r++) { s += rowstat[r]; }
  out[0] = s / f32(p.rows);
}

// dx = g / rows (softmax(x) - target), one invocation per element; g is the scalar upstream gradient.
@compute @workgroup_size(WG)
fn xent_backward(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = invocation(wg, nwg, lid);
  if (i >= p.rows * p.C) { return; }
  let r = i / p.C;
  let j = i % p.C;
  let t = select(0.0, 1.0 - p.smoothing, j == u32(labels[r])) + p.smoothing / f32(p.C);
  out[i] = g[0] / f32(p.rows) * (exp(x[i] - rowstat[p.rows + r]) - t);
}
