// A small seeded generator (xoshiro128** seeded through splitmix32) whose whole state is four
// 32-bit words: the same seed gives the same weights, shuffles, augmentation draws and op
// samples on every machine (Math.random cannot be seeded), and a checkpoint can store the stream.

/** splitmix32 finaliser: a well-mixed 32-bit hash of one 32-bit value. */
function splitmix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** Hashes several integers (a seed, an epoch, a position...) into one 32-bit seed. */
export function mixSeed(...parts: number[]): number {
  let h = 0x6a09e667;
  for (const p of parts) h = splitmix32(h ^ splitmix32(p >>> 0));
  return h;
}

export class Random {
  private readonly s = new Uint32Array(4);
  private spare: number | null = null;

  /** From a seed, or from a `state()` to resume a stream. */
  constructor(seed: number | readonly number[] = 0) {
    if (typeof seed === 'number') {
      let x = seed >>> 0;
      for (let i = 0; i < 4; i++) x = this.s[i] = splitmix32(x + i);
    } else this.s.set(seed);
    if (!(this.s[0] | this.s[1] | this.s[2] | this.s[3])) this.s[0] = 1;   // xoshiro's one bad state
  }

  /** Uniform 32-bit unsigned integer. */
  nextU32(): number {
    const s = this.s;
    const r = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return r;
  }

  /** Uniform in [lo, hi), by default [0, 1). */
  uniform(lo = 0, hi = 1): number { return lo + (hi - lo) * (this.nextU32() / 4294967296); }

  /** Uniform integer in [0, n), without modulo bias. */
  int(n: number): number {
    if (!(n >= 1 && n <= 4294967296 && Number.isInteger(n))) throw new RangeError(`Random.int: bad range ${n}`);
    const limit = 4294967296 - (4294967296 % n);
    for (;;) { const r = this.nextU32(); if (r < limit) return r % n; }
  }

  /** Standard normal (Box-Muller, caching the second value). */
  normal(): number {
    if (this.spare !== null) { const v = this.spare; this.spare = null; return v; }
    let u = 0;
    while (u === 0) u = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u)), a = 2 * Math.PI * this.uniform();
    this.spare = r * Math.sin(a);
    return r * Math.cos(a);
  }

  /** Fisher-Yates shuffle in place; returns the array. */
  shuffle<T>(a: T[]): T[] {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i]; a[i] = a[j]; a[j] = t;
    }
    return a;
  }

  /** The state, for checkpoints; `new Random(state)` resumes the stream. */
  state(): number[] { this.spare = null; return Array.from(this.s); }
}

function rotl(x: number, k: number): number { return (x << k) | (x >>> (32 - k)); }
