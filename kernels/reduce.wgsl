// Reductions over a leading axis that the ops finish with (kernels for engine/ops/reduce.ts).
// Column sums of a row-major [rows, cols] matrix in chunks of rows:
//   out[g, col] = sum of x[r, col] for r in chunk g.
// One invocation per (column, chunk); columnSums reapplies it to the chunk sums until one row
// is left, which keeps every dispatch wide and every float32 sum short.
override WG: u32 = 64;

struct Params { rows: u32, cols: u32, chunk: u32, len: u32, parts: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

// Columns run along x (wrapping into z past 65535 workgroups), chunks along y.
@compute @workgroup_size(WG)
fn sum_columns(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let col = (wg.z * nwg.x + wg.x) * WG + lid.x;
  if (col >= p.cols) { return; }
  let r1 = min(p.rows, (wg.y + 1u) * p.chunk);
  var s = 0.0;
  for (var r = wg.y * p.chunk; r < r1; r++) { s += x[r * p.cols + col]; }
  out[wg.y * p.cols + col] = s;
}

// out[i] = sum over k < parts of x[k * len + i]: the second pass of the weight gradients.
@compute @workgroup_size(WG)
fn sum_partials(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = (wg.y * nwg.x + wg.x) * WG + lid.x;
  if (i >= p.len) { return; }
  var s = 0.0;
  for (var k = 0u; k < p.parts; k++) { s += x[k * p.len + i]; }
  out[i] = s;
}
