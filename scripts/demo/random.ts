import { mulberry32 } from '../../harness/stats/random.ts';

/** The project's seeded PRNG (mulberry32), so demo models and datasets are identical on every machine. */
export const seededRandom = mulberry32;

/** Standard normal samples by the Box-Muller transform. */
export function gaussian(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

export function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}
