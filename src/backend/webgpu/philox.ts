/**
 * Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011; the
 * Random123 constants) in TypeScript and WGSL, and the standard normal the shallow trainer draws
 * from it. Counter-based: the value for (key, counter) does not depend on what else was drawn, so
 * the device's draws do not depend on how the steps are cut into dispatches. The TypeScript side
 * is the reference the tests hold the shader to (and checks itself against Random123's known
 * answers).
 */

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** The high 32 bits of the 64-bit product a·b of two u32s (split into 16-bit halves, as the WGSL does). */
function mulhi(a: number, b: number): number {
  const aL = a & 0xffff;
  const aH = a >>> 16;
  const bL = b & 0xffff;
  const bH = b >>> 16;
  const ll = aL * bL;
  const lh = aL * bH;
  const hl = aH * bL;
  const hh = aH * bH;
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (hh + (lh >>> 16) + (hl >>> 16) + Math.floor(mid / 65536)) >>> 0;
}

/** Philox4x32-10 of counter `c` under key `k`: four u32s. */
export function philox4x32(c: readonly number[], k: readonly number[]): [number, number, number, number] {
  let [c0, c1, c2, c3] = c.map((x) => x >>> 0);
  let [k0, k1] = k.map((x) => x >>> 0);
  for (let r = 0; r < 10; r++) {
    const hi0 = mulhi(M0, c0);
    const lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi(M1, c2);
    const lo1 = Math.imul(M1, c2) >>> 0;
    [c0, c1, c2, c3] = [(hi1 ^ c1 ^ k0) >>> 0, lo1, (hi0 ^ c3 ^ k1) >>> 0, lo0];
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  return [c0, c1, c2, c3];
}

/**
 * The standard normal of (seed, step, coordinate): Box–Muller's cosine branch on the first two
 * words of Philox4x32-10 with counter (step, coordinate, 0, 0) and key (seedLo, seedHi); the
 * uniforms are the words' top 24 bits, u1 in (0, 1) so the log is finite. Float64 here; the
 * shader computes the same formula in float32.
 */
export function philoxNormal(seedLo: number, seedHi: number, step: number, coordinate: number): number {
  const [a, b] = philox4x32([step, coordinate, 0, 0], [seedLo, seedHi]);
  const u1 = ((a >>> 8) + 0.5) / 2 ** 24;
  const u2 = (b >>> 8) / 2 ** 24;
  return Math.sqrt(-2 * Math.log(u1)) * -Math.cos(2 * Math.PI * u2 - Math.PI);
}

/** The WGSL of philox4x32 and philox_normal(step, coordinate, key), as philoxNormal above. */
export const PHILOX_WGSL = /* wgsl */ `
fn mulhi(a: u32, b: u32) -> u32 {
  let al = a & 0xffffu; let ah = a >> 16u; let bl = b & 0xffffu; let bh = b >> 16u;
  let ll = al * bl; let lh = al * bh; let hl = ah * bl; let hh = ah * bh;
  let mid = (ll >> 16u) + (lh & 0xffffu) + (hl & 0xffffu);
  return hh + (lh >> 16u) + (hl >> 16u) + (mid >> 16u);
}
fn philox_round(c: vec4u, k: vec2u) -> vec4u {
  let hi0 = mulhi(${M0}u, c.x); let lo0 = ${M0}u * c.x;
  let hi1 = mulhi(${M1}u, c.z); let lo1 = ${M1}u * c.z;
  return vec4u(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
}
// The 10 rounds written out: llvmpipe counts every loop iteration of an invocation (wgsl-shallow.ts).
fn philox4x32(ctr: vec4u, key: vec2u) -> vec4u {
  var c = ctr;
${Array.from({ length: 10 }, (_, r) => `  c = philox_round(c, key + vec2u(${(W0 * r) >>> 0}u, ${(W1 * r) >>> 0}u));`).join('\n')}
  return c;
}
fn philox_normal(step: u32, coordinate: u32, key: vec2u) -> f32 {
  let w = philox4x32(vec4u(step, coordinate, 0u, 0u), key);
  let u1 = (f32(w.x >> 8u) + 0.5) * ${2 ** -24};
  let u2 = f32(w.y >> 8u) * ${2 ** -24};
  return sqrt(-2.0 * log(u1)) * -cos(6.283185307179586 * u2 - 3.141592653589793);
}
`;
