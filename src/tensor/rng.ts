import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus, xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import type { JumpableRandomGenerator } from 'pure-rand/types/JumpableRandomGenerator';

/**
 * A seeded random stream (xoroshiro128+ from pure-rand). Streams are splittable by name:
 * `rng.child('layer/0')` is a new, independent stream determined only by the root seed and the
 * path of labels, so adding a draw in one stream never shifts the numbers of another.
 */
export class Rng {
  private gen: JumpableRandomGenerator;
  private spareNormal: number | null = null;

  private constructor(
    readonly seed: number,
    readonly path: string,
    state?: RngState,
  ) {
    this.gen = state
      ? xoroshiro128plusFromState(state.generator)
      : xoroshiro128plus(mix32(seed, hashString(path)));
    this.spareNormal = state?.spareNormal ?? null;
  }

  /** Where the stream is (JSON-serialisable): `Rng.fromState` continues it exactly, e.g. after a resume. */
  state(): RngState {
    return {
      seed: this.seed,
      path: this.path,
      generator: [...this.gen.getState()],
      spareNormal: this.spareNormal,
    };
  }

  /** The stream `state()` saved, continuing with the very next draw. */
  static fromState(state: RngState): Rng {
    return new Rng(state.seed, state.path, state);
  }

  /** The root stream for a seed (any 32-bit integer). */
  static seeded(seed: number): Rng {
    if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
    return new Rng(seed | 0, '');
  }

  /** An independent stream named `label` below this one. Does not advance this stream. */
  child(label: string | number): Rng {
    return new Rng(this.seed, `${this.path}/${label}`);
  }

  /** Uniform in [0, 1), 53 random bits. */
  uniform(): number {
    return uniformFloat64(this.gen);
  }

  /** Uniform in [lo, hi). */
  uniformRange(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`int(n) needs a positive integer, got ${n}`);
    return uniformInt(this.gen, 0, n - 1);
  }

  /** Standard normal by the Box–Muller transform (both values of each pair are used). */
  normal(mean = 0, stddev = 1): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return mean + stddev * z;
    }
    const u1 = 1 - this.uniform(); // (0, 1]: log is finite
    const u2 = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spareNormal = r * Math.sin(2 * Math.PI * u2);
    return mean + stddev * r * Math.cos(2 * Math.PI * u2);
  }

  /**
   * Normal(mean, stddev) conditioned on |x − mean| ≤ cut·stddev, by redrawing values outside
   * the cut (as TensorFlow's truncated_normal does). The variance of the result is
   * stddev² · 0.7737 for cut = 2, which is why Keras divides σ by 0.8796 before calling it.
   */
  truncatedNormal(mean = 0, stddev = 1, cut = 2): number {
    for (;;) {
      const z = this.normal();
      if (Math.abs(z) <= cut) return mean + stddev * z;
    }
  }

  /** A uniformly random permutation of 0..n−1 (Fisher–Yates). */
  permutation(n: number): Uint32Array {
    const p = new Uint32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    this.shuffle(p);
    return p;
  }

  /** Shuffles in place (Fisher–Yates). */
  shuffle<T extends { length: number; [i: number]: unknown }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = uniformInt(this.gen, 0, i);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  fillUniform<T extends Float32Array | Float64Array>(out: T, lo = 0, hi = 1): T {
    for (let i = 0; i < out.length; i++) out[i] = lo + (hi - lo) * this.uniform();
    return out;
  }

  fillNormal<T extends Float32Array | Float64Array>(out: T, mean = 0, stddev = 1): T {
    for (let i = 0; i < out.length; i++) out[i] = this.normal(mean, stddev);
    return out;
  }

  /**
   * Standard normals by Marsaglia's polar method, for bulk draws where speed matters (the shallow
   * study's online inputs: hundreds a step, millions of steps). No trigonometry: one log and one
   * square root a pair, a pair rejected with probability 1 − π/4. The uniforms are `uniform()`'s own
   * stream (xoroshiro128+ stepped inline here, about 5× faster than through the generator object),
   * so the stream continues exactly after the call. A different sequence of normals from
   * `normal()`'s, and an odd length drops the pair's second value.
   */
  fillNormalPolar<T extends Float32Array | Float64Array>(out: T): T {
    // pure-rand's xoroshiro128plus state [s01, s00, s11, s10] and its next(), inlined.
    const state = this.gen.getState();
    let s01 = state[0] | 0;
    let s00 = state[1] | 0;
    let s11 = state[2] | 0;
    let s10 = state[3] | 0;
    let i = 0;
    while (i < out.length) {
      let uv = 0;
      let u = 0;
      for (let half = 0; half < 4; half++) {
        const word = (s00 + s10) | 0;
        const a0 = s10 ^ s00;
        const a1 = s11 ^ s01;
        const t00 = s00;
        const t01 = s01;
        s00 = (t00 << 24) ^ (t01 >>> 8) ^ a0 ^ (a0 << 16);
        s01 = (t01 << 24) ^ (t00 >>> 8) ^ a1 ^ ((a1 << 16) | (a0 >>> 16));
        s10 = (a1 << 5) ^ (a0 >>> 27);
        s11 = (a0 << 5) ^ (a1 >>> 27);
        // uniformFloat64: 26 bits of the first word, 27 of the second.
        if ((half & 1) === 0) uv = (word & UNIFORM_MASK_HIGH) * UNIFORM_SCALE_HIGH;
        else {
          uv += (word & UNIFORM_MASK_LOW) * UNIFORM_SCALE_LOW;
          if (half === 1) u = 2 * uv - 1;
        }
      }
      const v = 2 * uv - 1;
      const s = u * u + v * v;
      if (s >= 1 || s === 0) continue;
      const f = Math.sqrt((-2 * Math.log(s)) / s);
      out[i++] = u * f;
      if (i < out.length) out[i++] = v * f;
    }
    this.gen = xoroshiro128plusFromState([s01, s00, s11, s10]);
    return out;
  }

  fillTruncatedNormal<T extends Float32Array | Float64Array>(out: T, mean = 0, stddev = 1, cut = 2): T {
    for (let i = 0; i < out.length; i++) out[i] = this.truncatedNormal(mean, stddev, cut);
    return out;
  }
}

// pure-rand's uniformFloat64: (w₁ & (2²⁶ − 1))·2⁻²⁶ + (w₂ & (2²⁷ − 1))·2⁻⁵³.
const UNIFORM_MASK_HIGH = 0x3ffffff;
const UNIFORM_MASK_LOW = 0x7ffffff;
const UNIFORM_SCALE_HIGH = 2 ** -26;
const UNIFORM_SCALE_LOW = 2 ** -53;

/** A stream's position, from `Rng.state()`. */
export interface RngState {
  seed: number;
  path: string;
  generator: number[];
  /** The second value of a Box–Muller pair not yet returned. */
  spareNormal: number | null;
}

/** FNV-1a, 32 bits. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Combines a seed and a hash into a well-spread 32-bit seed (murmur3 finalizer). */
function mix32(seed: number, hash: number): number {
  let h = (seed ^ Math.imul(hash, 0x9e3779b1)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}
