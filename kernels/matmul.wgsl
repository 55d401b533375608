enable subgroups;

// Matrix products C = A x B, row-major C [M, N]. A and B are read through strides,
//   A(m, k) = a[m * sam + k * sak],   B(k, n) = b[k * sbk + n * sbn],
// so one kernel computes A x B, A^T x B and A x B^T (the backward) without transpose copies.
//
// Each invocation keeps a TM x TN block of C in registers: per step of k it loads TM + TN
// values and does TM * TN multiply-adds. On lavapipe (Mesa 25) every storage load becomes a
// bounds-checked scalar load per SIMD lane, uniform address or not, about a dozen instructions
// each, so loads are the whole cost and the block is as large as LLVM still unrolls well
// (16 x 12: 192 multiply-adds per 28 loads). No workgroup memory: it lost on lavapipe.
// A vec4 access costs about what a scalar one does, so where four values of a step of k are
// adjacent in memory (a row of B with sbn = 1, a column of A with sam = 1, a row of C) they
// are loaded or stored as one vec4 (B4, A4, matmul_store4): 5-15% on the products of W5.
// Four steps of k of a row-major A as one vec4 lost: the block's registers spilled.
//
// Each lane loads its rows of A by itself, though the lanes of a row of blocks share them: with
// SG (a workgroup that is one subgroup along N, lavapipe's eight lanes), lane l loads rows
// 8s + l and subgroupBroadcast hands each row to all lanes. Per step of k a lane then loads
// TM / 8 values of A instead of TM, and on lavapipe, where no load in a loop is a single load
// for all lanes, that halves the time of a large product and makes TM = 24 pay.
//
// workgroup_id.z splits K: split z sums k in [z * kc, (z + 1) * kc) into its own [M, N] slice
// of c, and sum_columns (reduce.wgsl) adds the slices. Long-K products (weight gradients over
// a whole batch of pixels) get their parallelism that way.
override WGN: u32 = 8;   // invocations along N
override WGM: u32 = 1;   // invocations along M
override TM: u32 = 16;   // rows per invocation, at most TM_MAX
override TN: u32 = 8;    // columns per invocation, at most TN_MAX
override B4: bool = false;   // B read as vec4 rows: sbn == 1, N and TN multiples of 4
override A4: bool = false;   // A read as vec4 columns: sam == 1, M and TM multiples of 4
override SG: bool = false;   // rows of A shared through the subgroup: WGN == subgroup size == 8, WGM == 1, TM % 8 == 0
const TM_MAX = 24u;
const TN_MAX = 12u;

struct Params { M: u32, N: u32, K: u32, sam: u32, sak: u32, sbk: u32, sbn: u32, m0: u32, kc: u32, act_lo: f32, act_hi: f32, residual: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@group(0) @binding(4) var<storage, read_write> c4: array<vec4f>;   // c again, for vec4 stores
@group(0) @binding(5) var<storage, read> b4: array<vec4f>;         // b again, for vec4 loads
@group(0) @binding(6) var<storage, read> a4: array<vec4f>;         // a again, for vec4 loads
@group(0) @binding(7) var<storage, read> bias: array<f32>;         // the _bias entries: c = clamp(A x B + bias, lo, hi)
// The _norm entries: an eval batch norm's [2, N] statistics (mean first) and [2, N] scale and shift
// (batchnorm.wgsl's `stats` and `fwd`), and with p.residual a tensor [M, N] added before the clamp.
@group(0) @binding(8) var<storage, read> stats: array<f32>;
@group(0) @binding(9) var<storage, read> fwd: array<f32>;
@group(0) @binding(10) var<storage, read> res: array<f32>;
@group(0) @binding(11) var<storage, read> res4: array<vec4f>;

struct Block { acc: array<array<f32, TN_MAX>, TM_MAX>, m0: u32, n0: u32 }

// This invocation's TM x TN block of C, from row m0 and column n0.
fn product_block(wg: vec3u, lid: vec3u) -> Block {
  var r = Block();
  r.m0 = p.m0 + (wg.y * WGM + lid.y) * TM;
  r.n0 = (wg.x * WGN + lid.x) * TN;
  // Rows and columns past the edge load from the last valid one and are not stored.
  var arow: array<u32, TM_MAX>;
  for (var i = 0u; i < TM; i++) { arow[i] = min(r.m0 + i, p.M - 1u) * p.sam; }
  var bcol: array<u32, TN_MAX>;
  for (var j = 0u; j < TN; j++) { bcol[j] = min(r.n0 + j, p.N - 1u) * p.sbn; }
  let k1 = min(p.K, (wg.z + 1u) * p.kc);
  for (var k = wg.z * p.kc; k < k1; k++) {
    var bk: array<f32, TN_MAX>;
    if (B4) {
      for (var j = 0u; j < TN; j += 4u) {
        let v = b4[(k * p.sbk + min(r.n0 + j, p.N - 4u)) / 4u];
        bk[j] = v.x; bk[j + 1u] = v.y; bk[j + 2u] = v.z; bk[j + 3u] = v.w;
      }
    } else {
      for (var j = 0u; j < TN; j++) { bk[j] = b[k * p.sbk + bcol[j]]; }
    }
    var ak: array<f32, TM_MAX>;
    if (SG) {
      for (var s = 0u; s < TM / 8u; s++) {
        let v = a[min(r.m0 + 8u * s + lid.x, p.M - 1u) * p.sam + k * p.sak];
        ak[8u * s] = subgroupBroadcast(v, 0u); ak[8u * s + 1u] = subgroupBroadcast(v, 1u);
        ak[8u * s + 2u] = subgroupBroadcast(v, 2u); ak[8u * s + 3u] = subgroupBroadcast(v, 3u);
        ak[8u * s + 4u] = subgroupBroadcast(v, 4u); ak[8u * s + 5u] = subgroupBroadcast(v, 5u);
        ak[8u * s + 6u] = subgroupBroadcast(v, 6u); ak[8u * s + 7u] = subgroupBroadcast(v, 7u);
      }
    } else if (A4) {
      for (var i = 0u; i < TM; i += 4u) {
        let v = a4[(k * p.sak + min(r.m0 + i, p.M - 4u)) / 4u];
        ak[i] = v.x; ak[i + 1u] = v.y; ak[i + 2u] = v.z; ak[i + 3u] = v.w;
      }
    } else {
      for (var i = 0u; i < TM; i++) { ak[i] = a[arow[i] + k * p.sak]; }
    }
    for (var i = 0u; i < TM; i++) {
      for (var j = 0u; j < TN; j++) { r.acc[i][j] += ak[i] * bk[j]; }
    }
  }
  return r;
}

@compute @workgroup_size(WGN, WGM)
fn matmul(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let r = product_block(wg, lid);
  let slice = wg.z * p.M * p.N;
  for (var i = 0u; i < TM; i++) {
    if (r.m0 + i < p.M) {
      let o = slice + (r.m0 + i) * p.N + r.n0;
      for (var j = 0u; j < TN; j++) { if (r.n0 + j < p.N) { c[o + j] = r.acc[i][j]; } }
    }
  }
}

// The same with vec4 stores, for N % 4 == 0 (TN is a multiple of 4).
@compute @workgroup_size(WGN, WGM)
fn matmul_store4(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let r = product_block(wg, lid);
  let slice = wg.z * p.M * p.N;
  for (var i = 0u; i < TM; i++) {
    if (r.m0 + i < p.M) {
      let o = slice + (r.m0 + i) * p.N + r.n0;
      for (var j = 0u; j < TN; j += 4u) {
        if (r.n0 + j < p.N) { c4[(o + j) / 4u] = vec4f(r.acc[i][j], r.acc[i][j + 1u], r.acc[i][j + 2u], r.acc[i][j + 3u]); }
      }
    }
  }
}

// The products with a bias and a clamp (ReLU, ReLU6 or none) applied as they are stored, so that
// a convolution with its batch norm folded in costs one pass; K is not split here.
// The bias of this invocation's columns, loaded once (columns past N repeat the last one, never stored).
fn bias_block(n0: u32) -> array<f32, TN_MAX> {
  var bn: array<f32, TN_MAX>;
  for (var j = 0u; j < TN; j++) { bn[j] = bias[min(n0 + j, p.N - 1u)]; }
  return bn;
}

@compute @workgroup_size(WGN, WGM)
fn matmul_bias(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let r = product_block(wg, lid);
  let bn = bias_block(r.n0);
  for (var i = 0u; i < TM; i++) {
    if (r.m0 + i < p.M) {
      let o = (r.m0 + i) * p.N + r.n0;
      for (var j = 0u; j < TN; j++) { if (r.n0 + j < p.N) { c[o + j] = clamp(r.acc[i][j] + bn[j], p.act_lo, p.act_hi); } }
    }
  }
}

@compute @workgroup_size(WGN, WGM)
fn matmul_store4_bias(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let r = product_block(wg, lid);
  let bn = bias_block(r.n0);
  for (var i = 0u; i < TM; i++) {
    if (r.m0 + i < p.M) {
      let o = (r.m0 + i) * p.N + r.n0;
      for (var j = 0u; j < TN; j += 4u) {
        if (r.n0 + j < p.N) {
          let v = vec4f(r.acc[i][j] + bn[j], r.acc[i][j + 1u] + bn[j + 1u], r.acc[i][j + 2u] + bn[j + 2u], r.acc[i][j + 3u] + bn[j + 3u]);
          c4[(o + j) / 4u] = act4(v);
        }
      }
    }
  }
}

// The products with an eval batch norm (and a residual) applied as they are stored:
// c = clamp((A x B - mean) scale + shift (+ res), lo, hi), batchnorm.wgsl's apply arithmetic, so
// that a conv + BN (+ add) of inference costs one pass instead of three. K is not split here.
// The norm entries' activation, as batchnorm.wgsl's (PyTorch's clamp): NaN passes, and an
// infinity passes a side left open (+-FLT_MAX), so that a folded norm hides no divergence.
const FLT_MAX = 0x1.fffffep+127f;
fn act4(y: vec4f) -> vec4f {
  let nan = (bitcast<vec4u>(y) & vec4u(0x7fffffffu)) > vec4u(0x7f800000u);   // by the bits: compilers may assume y == y
  let open = nan | ((y > vec4f(p.act_hi)) & vec4<bool>(p.act_hi >= FLT_MAX)) | ((y < vec4f(p.act_lo)) & vec4<bool>(p.act_lo <= -FLT_MAX));
  return select(clamp(y, vec4f(p.act_lo), vec4f(p.act_hi)), y, open);
}

struct Norm { mean: array<f32, TN_MAX>, scale: array<f32, TN_MAX>, shift: array<f32, TN_MAX> }

fn norm_block(n0: u32) -> Norm {
  var r: Norm;
  for (var j = 0u; j < TN; j++) {
    let n = min(n0 + j, p.N - 1u);
    r.mean[j] = stats[n]; r.scale[j] = fwd[n]; r.shift[j] = fwd[p.N + n];
  }
  return r;
}

@compute @workgroup_size(WGN, WGM)
fn matmul_norm(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let r = product_block(wg, lid);
  let nm = norm_block(r.n0);
  for (var i = 0u; i < TM; i++) {
    if (r.m0 + i < p.M) {
      let o = (r.m0 + i) * p.N + r.n0;
      for (var j = 0u; j < TN; j++) {
        if (r.n0 + j < p.N) {
          var v = (r.acc[i][j] - nm.mean[j]) * nm.scale[j] + nm.shift[j];
          if (p.residual == 1u) { v += res[o + j]; }
          c[o + j] = act4(vec4f(v)).x;
        }
      }
    }
  }
}

@compute @workgroup_size(WGN, WGM)
fn matmul_store4_norm(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let r = product_block(wg, lid);
  let nm = norm_block(r.n0);
  for (var i = 0u; i < TM; i++) {
    if (r.m0 + i < p.M) {
      let o = (r.m0 + i) * p.N + r.n0;
      for (var j = 0u; j < TN; j += 4u) {
        if (r.n0 + j < p.N) {
          let acc = vec4f(r.acc[i][j], r.acc[i][j + 1u], r.acc[i][j + 2u], r.acc[i][j + 3u]);
          let mean = vec4f(nm.mean[j], nm.mean[j + 1u], nm.mean[j + 2u], nm.mean[j + 3u]);
          let scale = vec4f(nm.scale[j], nm.scale[j + 1u], nm.scale[j + 2u], nm.scale[j + 3u]);
          let shift = vec4f(nm.shift[j], nm.shift[j + 1u], nm.shift[j + 2u], nm.shift[j + 3u]);
          var v = (acc - mean) * scale + shift;
          if (p.residual == 1u) { v += res4[(o + j) / 4u]; }
          c4[(o + j) / 4u] = act4(v);
        }
      }
    }
  }
}

// c[m, n] = clamp(a[m, n] + b[n], lo, hi) over a row-major [M, N], one element per invocation
// (an elementwise op: WGN is the elementwise workgroup size here); the grid is 2-D past 65535
// workgroups.
@compute @workgroup_size(WGN)
fn add_bias(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = (wg.y * nwg.x + wg.x) * WGN + lid.x;
  if (i < p.M * p.N) { c[i] = clamp(a[i] + b[i % p.N], p.act_lo, p.act_hi); }
}
