import { z } from 'zod';
import { Comparison, GateReport } from './comparison.ts';
import { Results } from './results.ts';
import { Trends } from './trends.ts';

export const REPORT_SCHEMA_VERSION = 1;

/**
 * Everything a reporter may read: the run(s) shown, the baseline they were
 * compared with, and the gate's verdict for each run. Reporters never look
 * anywhere else, so a saved report.json renders the same page later.
 */
export const Report = z
  .strictObject({
    schemaVersion: z.literal(REPORT_SCHEMA_VERSION),
    tool: z.strictObject({ name: z.literal('edgebench'), version: z.string() }),
    generatedAt: z.iso.datetime(),
    runs: z.array(Results).min(1),
    baseline: Results.optional(),
    /** One per run, in the same order. */
    gates: z.array(GateReport),
    /** Per run, in the same order: every variant against the run's reference variant (e.g. int8 and int4 against fp32). */
    variantComparisons: z.array(z.strictObject({ reference: z.string(), comparisons: z.array(Comparison) })).optional(),
    /** Each metric's series over the stored history that the runs continue, when a history file was given. */
    trends: Trends.optional(),
  })
  .describe('edgebench report.json: the input of every reporter.');
export type Report = z.infer<typeof Report>;
