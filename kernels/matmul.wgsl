// Matrix products C = A x B, row-major C [M, N]. A and B are read through strides,
//   A(m, k) = a[m * sam + k * sak],   B(k, n) = b[k * sbk + n * sbn],
// so one kernel computes A x B, A^T x B and A x B^T (the backward) without transpose copies.
//
// Each invocation keeps a TM x 4 block of C in registers. With WGM = 1 (the CPU tuning) its
// rows depend on workgroup_id only, so lavapipe proves the A loads uniform across its SIMD
// lanes and issues one load for all eight; only the four B columns differ per lane. No
// workgroup memory: on lavapipe it lost to register blocking every time.
//
// workgroup_id.z splits K: split z sums k in [z * kc, (z + 1) * kc) into its own [M, N] slice
// of c, and sum_columns (reduce.wgsl) adds the slices. Long-K products (weight gradients over
// a whole batch of pixels) get their parallelism that way.
override WGN: u32 = 8;   // invocations along N, 4 columns each
override WGM: u32 = 1;   // invocations along M, TM rows each
override TM: u32 = 8;    // rows per invocation, at most TM_MAX
const TM_MAX = 8u;

struct Params { M: u32, N: u32, K: u32, sam: u32, sak: u32, sbk: u32, sbn: u32, m0: u32, kc: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

@compute @workgroup_size(WGN, WGM)
fn matmul(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let m0 = p.m0 + (wg.y * WGM + lid.y) * TM;
  let n0 = (wg.x * WGN + lid.x) * 4u;
  // Rows and columns past the edge load from the last valid one and are not stored.
  var bcol: array<u32, 4>;
  for (var j = 0u; j < 4u; j++) { bcol[j] = min(n0 + j, p.N - 1u) * p.sbn; }
  var arow: array<u32, TM_MAX>;
  for (var i = 0u; i < TM; i++) { arow[i] = min(m0 + i, p.M - 1u) * p.sam; }
  var acc: array<vec4f, TM_MAX>;
  let k1 = min(p.K, (wg.z + 1u) * p.kc);
  for (var k = wg.z * p.kc; k < k1; k++) {
    let kb = k * p.sbk;
    let bk = vec4f(b[kb + bcol[0]], b[kb + bcol[1]], b[kb + bcol[2]], b[kb + bcol[3]]);
    let ka = k * p.sak;
    for (var i = 0u; i < TM; i++) { acc[i] += a[arow[i] + ka] * bk; }
  }
  let slice = wg.z * p.M * p.N;
  for (var i = 0u; i < TM; i++) {
    if (m0 + i < p.M) {
      let o = slice + (m0 + i) * p.N + n0;
      for (var j = 0u; j < 4u; j++) { if (n0 + j < p.N) { c[o + j] = acc[i][j]; } }
    }
  }
}

// c[m, n] = a[m, n] + b[n] over a row-major [M, N], one element per invocation; the grid is
// 2-D when there are more than 65535 workgroups.
@compute @workgroup_size(WGN)
fn add_bias(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = (wg.y * nwg.x + wg.x) * WGN + lid.x;
  if (i < p.M * p.N) { c[i] = a[i] + b[i % p.N]; }
}
