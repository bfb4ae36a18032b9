import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { LayerSensitivity } from '../core/quantize-sensitivity.ts';
import { measureKld, type KldSet } from './kld-measurement.ts';
import { QuantizeError, quantizeModel, type QuantizeOptions } from './quantize.ts';
import { layerPattern } from './targets.ts';

export type BudgetFallback = 'int8' | 'float';

export interface BudgetTry {
  moved: string[];
  kld: number;
  top1: number;
  diskBytes: number;
}

export interface BudgetSearch {
  /** The first mix that met the budget, if any. */
  met?: BudgetTry;
  /** The lowest KL measured, met or not. */
  best: BudgetTry;
  tries: BudgetTry[];
}

/** The quantize options with `moved` layers at the fallback precision: int8 through --keep-int8, float through --exclude. */
export function withMoved(options: QuantizeOptions, moved: readonly string[], fallback: BudgetFallback): QuantizeOptions {
  if (moved.length === 0) return options;
  return fallback === 'int8'
    ? { ...options, keepInt8: [...(options.keepInt8 ?? []), ...moved] }
    : { ...options, exclude: [...(options.exclude ?? []), ...moved] };
}

/**
 * Quantizes the whole model, then moves the ranked layers, most sensitive first and one at a time, to the
 * fallback precision until the measured mean KL against fp32 is at most `maxKld`. Layers the user already keeps at
 * int8 are not moved again. Every try is measured, not predicted: KL added by layers does not simply sum.
 */
export async function searchKldBudget(
  options: QuantizeOptions,
  ranking: readonly LayerSensitivity[],
  set: KldSet,
  maxKld: number,
  fallback: BudgetFallback,
  scratch: string,
  onTry: (attempt: BudgetTry) => void = () => {},
): Promise<BudgetSearch> {
  const alreadyInt8 = (options.keepInt8 ?? []).map(layerPattern);
  const candidates = ranking.filter((l) => fallback === 'float' || !alreadyInt8.some((p) => p.test(l.layer) || p.test(l.weight))).map((l) => l.layer);
  const tries: BudgetTry[] = [];
  for (let count = 0; count <= candidates.length; count++) {
    const moved = candidates.slice(0, count);
    const output = join(scratch, `budget-${count}.onnx`);
    const written = await quantizeModel({ ...withMoved(options, moved, fallback), output }).catch((error: unknown) => {
      // Every layer moved to float, and no embedding table left to quantize: nothing is left to try.
      if (error instanceof QuantizeError && count === candidates.length && count > 0) return undefined;
      throw error;
    });
    if (!written) break;
    const { outputFile, manifestFile, manifest } = written;
    const attempt = { moved, ...(await measureKld(outputFile, set)), diskBytes: manifest.diskBytes };
    await Promise.all([outputFile, `${outputFile}.data`, manifestFile].map((f) => rm(f, { force: true })));
    tries.push(attempt);
    onTry(attempt);
    if (attempt.kld <= maxKld) return { met: attempt, best: attempt, tries };
  }
  const best = tries.reduce((a, b) => (b.kld < a.kld ? b : a));
  return { best, tries };
}
