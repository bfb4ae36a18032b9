import type { CellResult } from '../core/results.ts';

type LatencySample = CellResult['samples'][number];

const KEYS = new Set(['iteration', 'exampleId', 'latencyMs', 'repeat', 'ttftMs', 'decodeMs']);
const nonNegative = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/**
 * Whether a value certainly matches LatencySample, checked by hand: a run can hold 10^6 samples per cell, and
 * checking each with the schema takes seconds. Never looser than the schema: anything this refuses is checked
 * by the schema instead, which names what is wrong.
 */
export function isLatencySample(value: unknown): value is LatencySample {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const s = value as Record<string, unknown>;
  for (const key in s) if (!KEYS.has(key)) return false;
  if (!(Number.isSafeInteger(s.iteration) && (s.iteration as number) >= 0)) return false;
  if (typeof s.exampleId !== 'string' || !nonNegative(s.latencyMs)) return false;
  if (s.repeat !== undefined && !(Number.isSafeInteger(s.repeat) && (s.repeat as number) > 0)) return false;
  if (s.ttftMs !== undefined && !nonNegative(s.ttftMs)) return false;
  if (s.decodeMs !== undefined && !(Array.isArray(s.decodeMs) && s.decodeMs.every(nonNegative))) return false;
  return true;
}
