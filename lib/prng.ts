// Seeded randomness for fault injection and fuzzing: never Math.random, so a seed reproduces a
// run. mulberry32 is tiny, fast and good enough to pick which call fails or which byte changes;
// it is not for anything secret.

export const mulberry32 = (seed: number): (() => number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};
