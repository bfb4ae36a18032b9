import { z } from 'zod';

const Interval = z.strictObject({ lower: z.number(), upper: z.number() });

/** unavailable: a side has no value, and says why (energy on a device without a meter); never a number. */
export const Verdict = z.enum(['regressed', 'improved', 'unchanged', 'noisy', 'incomparable', 'unavailable']);
export type Verdict = z.infer<typeof Verdict>;

/** One side of a comparison: a summary value and, where it was estimated from samples, its CI. */
export const SideSummary = z.strictObject({
  value: z.number(),
  n: z.number().int().optional(),
  ci95: Interval.optional(),
});

/** One metric of one device x variant cell, baseline run against candidate run. */
export const Comparison = z.strictObject({
  deviceId: z.string(),
  variant: z.string(),
  /** e.g. latency.p50, ttft.p50, peakRssBytes, accuracy. */
  metric: z.string(),
  unit: z.string(),
  /** Whether a larger value is worse (latency, memory) or better (accuracy, tokens/s). */
  higherIsBetter: z.boolean(),
  /** Both sides' values are estimates from this power model (energy without a meter): labelled so wherever they are shown. */
  estimated: z.string().optional(),
  baseline: SideSummary.optional(),
  candidate: SideSummary.optional(),
  delta: z
    .strictObject({
      absolute: z.number(),
      /** candidate / baseline - 1 */
      relative: z.number(),
      relativeCi95: Interval.optional(),
      method: z.string(),
    })
    .optional(),
  pValue: z.number().optional(),
  /** After Holm's correction across every comparison of the report. */
  adjustedPValue: z.number().optional(),
  verdict: Verdict,
  /** The rule that decided the verdict, in words. */
  rule: z.string(),
});
export type Comparison = z.infer<typeof Comparison>;

export const BudgetLevel = z.enum(['off', 'warn', 'error']);

/** One budget checked on one device x variant cell (or an aggregate of cells). */
export const BudgetResult = z.strictObject({
  /** The budget's name from the suite, or one derived from its rule. */
  name: z.string(),
  level: BudgetLevel,
  metric: z.string(),
  deviceId: z.string(),
  variant: z.string(),
  passed: z.boolean(),
  /** What the budget allows, in words ("p90 <= 40 ms", "increase <= 5% and 0.2 ms"). */
  expected: z.string(),
  /** null when the budget could not be checked (the message says why). */
  actual: z.number().nullable(),
  /** The values the decision used (baseline, threshold, calibrated noise, aggregation). */
  values: z.record(z.string(), z.union([z.number(), z.string()])),
  message: z.string(),
});
export type BudgetResult = z.infer<typeof BudgetResult>;

/** A known measurement problem and how to fix it (the fixed set is in stats/warnings.ts). */
export const MeasurementWarning = z.strictObject({
  code: z.string(),
  deviceId: z.string(),
  variant: z.string(),
  run: z.enum(['baseline', 'candidate']),
  message: z.string(),
  remedy: z.string(),
});
export type MeasurementWarning = z.infer<typeof MeasurementWarning>;

/** Everything compare decided: the only input of the compare reporters. */
export const GateReport = z.strictObject({
  schemaVersion: z.literal(1),
  suite: z.string(),
  baseline: z.strictObject({ runId: z.string(), file: z.string() }).optional(),
  candidate: z.strictObject({ runId: z.string(), file: z.string() }),
  comparisons: z.array(Comparison),
  budgets: z.array(BudgetResult),
  warnings: z.array(MeasurementWarning),
  /** How the gate measured (interleaved or a stored baseline, rounds and why they stopped) and what that costs in trust. */
  notes: z.array(z.string()).optional(),
  /** fail when a budget at level error failed. */
  status: z.enum(['pass', 'fail']),
});
export type GateReport = z.infer<typeof GateReport>;
