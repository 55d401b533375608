// A small float64 reverse-mode tape for the architecture side of the search (micrograd-sized).
// Every scalar operation records its value, its inputs and the partial derivative of its value
// with respect to each input; backward() walks the records newest first, so each quantity is
// written once, as its forward computation, and its gradient follows. Nodes are created in
// dependency order, so the creation order is a topological order and needs no sort.

/** One scalar on the tape. */
export class Var {
  /** d output / d this, filled by Tape.backward. */
  grad = 0;
  constructor(readonly value: number, readonly inputs: readonly Var[] = [], readonly partials: number[] = []) {}
}

/** A plain number stands for a constant (no gradient flows into it). */
export type Scalar = Var | number;

export const valueOf = (x: Scalar): number => (typeof x === 'number' ? x : x.value);

export class Tape {
  private readonly nodes: Var[] = [];

  /** An input whose gradient backward() fills. */
  leaf(value: number): Var {
    const v = new Var(value);
    this.nodes.push(v);
    return v;
  }

  add(a: Scalar, b: Scalar): Var { return this.record(valueOf(a) + valueOf(b), [a, b], [1, 1]); }
  sub(a: Scalar, b: Scalar): Var { return this.record(valueOf(a) - valueOf(b), [a, b], [1, -1]); }
  mul(a: Scalar, b: Scalar): Var { return this.record(valueOf(a) * valueOf(b), [a, b], [valueOf(b), valueOf(a)]); }
  div(a: Scalar, b: Scalar): Var {
    const x = valueOf(a), y = valueOf(b);
    return this.record(x / y, [a, b], [1 / y, -x / (y * y)]);
  }
  exp(a: Var): Var {
    const y = Math.exp(a.value);
    return this.record(y, [a], [y]);
  }
  log(a: Var): Var { return this.record(Math.log(a.value), [a], [1 / a.value]); }
  abs(a: Var): Var { return this.record(Math.abs(a.value), [a], [Math.sign(a.value)]); }
  relu(a: Var): Var { return this.record(Math.max(0, a.value), [a], [a.value > 0 ? 1 : 0]); }

  sum(xs: readonly Scalar[]): Var {
    return this.record(xs.reduce((s: number, x) => s + valueOf(x), 0), xs, xs.map(() => 1));
  }

  /** sum_i xs_i * c_i with constant coefficients. */
  dot(xs: readonly Scalar[], c: ArrayLike<number>): Var {
    if (xs.length !== c.length) throw new Error(`tape dot: ${xs.length} values but ${c.length} coefficients`);
    return this.record(xs.reduce((s: number, x, i) => s + valueOf(x) * c[i], 0), xs, Array.from(c));
  }

  /** softmax(xs / temperature), shifted by the largest logit for range. */
  softmax(xs: readonly Var[], temperature: number): Var[] {
    const shift = Math.max(...xs.map((x) => x.value)) / temperature;
    const e = xs.map((x) => this.exp(this.sub(this.mul(x, 1 / temperature), shift)));
    const total = this.sum(e);
    return e.map((x) => this.div(x, total));
  }

  /** Fills .grad of every node that `out` depends on with d out / d node. */
  backward(out: Var): void {
    for (const v of this.nodes) v.grad = 0;
    out.grad = 1;
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const v = this.nodes[i];
      if (v.grad === 0) continue;
      v.inputs.forEach((x, j) => { x.grad += v.partials[j] * v.grad; });
    }
  }

  private record(value: number, inputs: readonly Scalar[], partials: readonly number[]): Var {
    const vars: Var[] = [], ds: number[] = [];
    inputs.forEach((x, j) => { if (typeof x !== 'number') { vars.push(x); ds.push(partials[j]); } });
    const v = new Var(value, vars, ds);
    this.nodes.push(v);
    return v;
  }
}
