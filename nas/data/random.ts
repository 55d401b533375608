// A small seeded PRNG for the data path: xoshiro128** seeded through splitmix32. The same seed
// gives the same shuffles and augmentation draws on every machine (Math.random cannot be seeded).

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

export class Rng {
  private s = new Uint32Array(4);

  constructor(seed: number) {
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) x = this.s[i] = splitmix32(x + i);
    if (!(this.s[0] | this.s[1] | this.s[2] | this.s[3])) this.s[0] = 1;   // xoshiro's one bad state
  }

  /** Uniform 32-bit unsigned integer. */
  u32(): number {
    const s = this.s;
    const r = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return r;
  }

  /** Uniform in [0, 1). */
  next(): number { return this.u32() / 4294967296; }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number { return lo + (hi - lo) * this.next(); }

  /** Uniform integer in [0, n), without modulo bias. */
  int(n: number): number {
    if (!(n >= 1 && n <= 4294967296 && Number.isInteger(n))) throw new RangeError(`Rng.int: bad range ${n}`);
    const limit = 4294967296 - (4294967296 % n);
    for (;;) { const r = this.u32(); if (r < limit) return r % n; }
  }

  /** Fisher-Yates shuffle in place; returns the array. */
  shuffle<T>(a: T[]): T[] {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i]; a[i] = a[j]; a[j] = t;
    }
    return a;
  }
}

function rotl(x: number, k: number): number { return (x << k) | (x >>> (32 - k)); }
