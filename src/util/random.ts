/**
 * Seeded randomness for training: the split, the shuffles, the demo corpus and (through
 * {@link withMathRandom}) tfjs's initializers and dropout masks.
 */

/** A PRNG in [0, 1): mulberry32, the same sequence for the same seed on every platform. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Mixes integers into one 32-bit seed (a murmur3-style finalizer per part), so that
 * `deriveSeed(seed, epoch, step)` gives unrelated streams for neighbouring steps and a
 * resumed run can recreate the stream of any step without replaying the ones before it.
 */
export function deriveSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    let k = Math.imul(p | 0, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Fisher–Yates shuffle in place with the given PRNG; returns the array. */
export function shuffleInPlace<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = items[i]!;
    items[i] = items[j]!;
    items[j] = t;
  }
  return items;
}

/**
 * Runs `fn` with `Math.random` replaced by a PRNG seeded with `seed`, restoring it afterwards
 * (also when `fn` throws or its promise rejects).
 *
 * Why: tfjs initializers cannot take a usable seed (Bidirectional copies its inner layer's
 * config, so a seeded initializer would give both directions the same weights), and tfjs's
 * random ops (`randomUniform`, `randomNormal`, `truncatedNormal`, hence the orthogonal
 * initializer and dropout masks) seed themselves from `Math.random()` when given no seed
 * (tfjs-core `ops/rand_util.ts`). A seeded `Math.random` therefore makes every random draw
 * in a build or a training step repeatable.
 */
export function withMathRandom<T>(seed: number, fn: () => T): T {
  const original = Math.random;
  Math.random = seededRandom(seed);
  let async = false;
  try {
    const result = fn();
    if (result instanceof Promise) {
      async = true;
      return result.finally(() => {
        Math.random = original;
      }) as T;
    }
    return result;
  } finally {
    if (!async) Math.random = original;
  }
}
