import { z } from 'zod';
import { printableText } from './printable-text.ts';
import { WorkloadMetricName } from './workload.ts';

/** Metrics a budget or a comparison can name; see compare/metrics.ts for how each is read from a cell. */
export const METRIC_NAMES = [
  'latency.p50',
  'latency.p90',
  'latency.p99',
  'ttft.p50',
  'decodeToken.p50',
  'decodeTokensPerSecond',
  'loadMs',
  'peakRssBytes',
  'modelRssBytes',
  'diskBytes',
  'accuracy',
  'hallucination',
  'outOfDomain',
  'energyPerInferenceMj',
  'energyPerTokenMj',
  'averagePowerWatts',
  'instructions',
] as const;
export const FixedMetricName = z.enum(METRIC_NAMES);
export type FixedMetricName = z.infer<typeof FixedMetricName>;
/** A fixed metric, or one of a generate workload's: pp<P>, tg<G>@d<D> (tokens/s), itl@d<D>.p50|p90|p99 (ms). */
export const MetricName = z.union([FixedMetricName, WorkloadMetricName]);
export type MetricName = z.infer<typeof MetricName>;

/**
 * A budget, Lighthouse-CI style: a level, one rule, and where it applies.
 * Rules: `increase` (against the baseline run, with a noise floor), `max` / `min`
 * (absolute, on the candidate), `within` (against another variant of the same run).
 */
export const Budget = z
  .strictObject({
    name: printableText().optional().describe('Shown in reports and JUnit; default: derived from the rule.'),
    metric: MetricName.describe(
      'The metric it checks (compare/metrics.ts reads it from a cell); a workload test by its name: pp512, tg128@d512 (tokens/s), itl@d512.p90 (ms).',
    ),
    level: z.enum(['off', 'warn', 'error']).default('error').describe('error fails the gate (exit 1); warn only reports.'),
    increase: z
      .strictObject({
        relative: z.number().nonnegative().optional().describe('Largest allowed relative growth, e.g. 0.05 for 5%.'),
        absolute: z.number().nonnegative().optional().describe("Noise floor in the metric's unit: smaller changes never fail, e.g. 0.2 (ms)."),
        noiseMultiple: z.number().positive().optional().describe("Allow growth up to this many times the device's calibrated noise (edgebench calibrate)."),
      })
      .optional()
      .describe('Against the baseline run: fails when the metric got worse by more than every given limit, and the comparison says regressed.'),
    max: z.number().optional().describe("The candidate's value must be at most this (ms, bytes, mJ, W, or a share for rates)."),
    min: z.number().optional().describe("The candidate's value must be at least this."),
    within: z
      .strictObject({
        variant: printableText().describe('The variant compared against.'),
        maxDrop: z.number().nonnegative().describe("How much worse than that variant's value the candidate may be, in the metric's unit."),
      })
      .optional()
      .describe('Against another variant on the same device in the same run, e.g. int4 accuracy within 0.01 of fp32.'),
    devices: z.array(printableText()).optional().describe('Device ids it applies to; default all.'),
    deviceClass: printableText().optional().describe('Only devices of this class (devices.yaml class).'),
    variants: z.array(printableText()).optional().describe('Variant names it applies to; default all.'),
    aggregation: z
      .enum(['each', 'worst', 'median'])
      .default('each')
      .describe('each: every matching cell must pass; worst / median: one check on the worst or median value over the matching cells.'),
  })
  .superRefine((budget, ctx) => {
    const rules = [budget.increase, budget.max, budget.min, budget.within].filter((r) => r !== undefined).length;
    if (rules !== 1) ctx.addIssue({ code: 'custom', path: ['metric'], message: 'a budget needs exactly one rule: increase, max, min or within' });
  });
export type Budget = z.infer<typeof Budget>;

export const CompareOptions = z
  .strictObject({
    threshold: z.number().positive().default(0.03).describe('Smallest relative change reported as regressed or improved (default 3%).'),
    alpha: z.number().gt(0).lt(1).default(0.01).describe("Significance level after Holm's correction across all comparisons."),
    instructionsTolerance: z
      .number()
      .positive()
      .optional()
      .describe('Relative change of the instructions metric within which it is unchanged (default 0.0005, i.e. 0.05%); counts are exact, so no statistics.'),
    allowDifferent: z
      .array(z.enum(['variant', 'runtime', 'device']))
      .default(['variant', 'runtime'])
      .describe('What may differ between baseline and candidate and still compare: the variant files, the onnxruntime/Node version, the device facts.'),
  })
  .describe('How edgebench compare decides verdicts.');
export type CompareOptions = z.infer<typeof CompareOptions>;
