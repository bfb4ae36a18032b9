/**
 * Mulberry32 (Tommy Ettinger, 2017): a 32-bit seeded generator, small and fast,
 * good enough for resampling. Same seed, same sequence, on every platform, so
 * intervals computed from resamples are reproducible.
 * Returns a function giving uniform numbers in [0, 1).
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
