// Reverse-mode differentiation over the graph recorded by the ops. Leaves that require a
// gradient accumulate into `.grad`, which lives outside every scope (like the parameter).
import { accumulate, copy } from './ops/elementwise.js';
import { keep, noGrad, Tensor } from './tensor.js';

/** Topological order of every tensor that `root` depends on through recorded ops. */
function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: Array<[Tensor, number]> = [[root, 0]];
  seen.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1];
    const inputs = top[0].gradFn?.inputs ?? [];
    if (top[1] < inputs.length) {
      const next = inputs[top[1]++];
      if (next.requiresGrad && !seen.has(next)) { seen.add(next); stack.push([next, 0]); }
    } else {
      order.push(top[0]);
      stack.pop();
    }
  }
  return order;
}

/** Back-propagates from `root` (a scalar unless `grad` is given). */
export function backward(root: Tensor, grad?: Tensor): void {
  if (!root.requiresGrad) throw new Error(`backward: ${root} does not require a gradient (no input of it does)`);
  if (!grad && root.size !== 1) throw new RangeError(`backward: ${root} is not a scalar; pass its gradient`);
  noGrad(() => {
    const grads = new Map<Tensor, Tensor>([[root, grad ?? Tensor.full(root.shape, 1)]]);
    const order = topoOrder(root);
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i];
      const g = grads.get(t);
      if (!g) continue;
      grads.delete(t);
      if (!t.gradFn) {
        if (t.grad) accumulate(t.grad, g);
        else t.grad = keep(copy(g));
        continue;
      }
      const inputGrads = t.gradFn.backward(g);
      t.gradFn.inputs.forEach((input, k) => {
        const gi = inputGrads[k];
        if (!gi || !input.requiresGrad) return;
        const prev = grads.get(input);
        // Out of place: a backward may hand the same tensor to several inputs.
        if (prev) { const sum = copy(prev); accumulate(sum, gi); grads.set(input, sum); }
        else grads.set(input, gi);
      });
    }
  });
}

declare module './tensor.js' {
  interface Tensor {
    /** Back-propagates from this tensor; see `backward`. */
    backward(grad?: Tensor): void;
  }
}
Tensor.prototype.backward = function (this: Tensor, grad?: Tensor) { backward(this, grad); };
