// In-place optimizer updates of one parameter tensor, PyTorch semantics (weight decay is added
// to the gradient). Read as vec4: pool buffers are 16-byte multiples, so the last vec4 stays
// inside each buffer and the lanes past n only touch unused padding.
override WG: u32 = 64;

struct Params {
  n: u32,
  lr: f32,
  weight_decay: f32,
  momentum: f32,
  nesterov: u32,
  first: u32,               // SGD: the momentum buffer starts as the first gradient
  beta1: f32,
  beta2: f32,
  eps: f32,
  step_size: f32,           // Adam: lr / (1 - beta1^t)
  bias_correction2_sqrt: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> param: array<vec4f>;
@group(0) @binding(2) var<storage, read> grad: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> buf: array<vec4f>;       // momentum, or Adam's first moment
@group(0) @binding(4) var<storage, read_write> buf2: array<vec4f>;      // Adam's second moment

fn invocation(wg: vec3u, nwg: vec3u, lid: vec3u) -> u32 { return (wg.y * nwg.x + wg.x) * WG + lid.x; }

@compute @workgroup_size(WG)
fn sgd(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = invocation(wg, nwg, lid);
  if (i >= (p.n + 3u) / 4u) { return; }
  param[i] -= p.lr * (grad[i] + p.weight_decay * param[i]);
}

// b = momentum b + d (b = d at the first step); the step is d + momentum b (Nesterov) or b.
@compute @workgroup_size(WG)
fn sgd_momentum(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = invocation(wg, nwg, lid);
  if (i >= (p.n + 3u) / 4u) { return; }
  let d = grad[i] + p.weight_decay * param[i];
  var b = d;
  if (p.first == 0u) { b += p.momentum * buf[i]; }
  buf[i] = b;
  param[i] -= p.lr * select(b, d + p.momentum * b, p.nesterov == 1u);
}

// Adam with coupled (L2) weight decay and bias correction, in PyTorch's order of operations.
@compute @workgroup_size(WG)
fn adam(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = invocation(wg, nwg, lid);
  if (i >= (p.n + 3u) / 4u) { return; }
  let d = grad[i] + p.weight_decay * param[i];
  let m = buf[i] + (1.0 - p.beta1) * (d - buf[i]);
  let v = p.beta2 * buf2[i] + (1.0 - p.beta2) * d * d;
  buf[i] = m;
  buf2[i] = v;
  param[i] -= p.step_size * m / (sqrt(v) / p.bias_correction2_sqrt + p.eps);
}
