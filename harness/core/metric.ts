import { z } from 'zod';
import { Summary } from './summary.ts';

/**
 * Every number edgebench reports says where it came from. A value that was not
 * measured is never shown as if it had been: it is estimated (from what) or
 * unavailable (why).
 */
export const Unit = z.enum(['ms', 'bytes', 'joules', 'millijoules', 'watts', 'celsius', 'ratio', 'count', 'tokens/s']);

const Measured = z.strictObject({
  source: z.literal('measured'),
  value: z.number(),
  unit: Unit,
  method: z.string().describe('The counter or clock the value was read from.'),
});
const Estimated = z.strictObject({
  source: z.literal('estimated'),
  value: z.number(),
  unit: Unit,
  from: z.string().describe('What the estimate was computed from.'),
});
const Unavailable = z.strictObject({
  source: z.literal('unavailable'),
  unit: Unit,
  reason: z.string(),
});

export const Metric = z.discriminatedUnion('source', [Measured, Estimated, Unavailable]);
export type Metric = z.infer<typeof Metric>;

export const LatencyMetric = z.discriminatedUnion('source', [
  z.strictObject({
    source: z.literal('measured'),
    unit: z.literal('ms'),
    method: z.string(),
    summary: Summary,
  }),
  Unavailable.extend({ unit: z.literal('ms') }),
]);
export type LatencyMetric = z.infer<typeof LatencyMetric>;

export const measured = (value: number, unit: z.infer<typeof Unit>, method: string): Metric => ({ source: 'measured', value, unit, method });
export const unavailable = (unit: z.infer<typeof Unit>, reason: string): Metric => ({ source: 'unavailable', unit, reason });

/** The value of a metric, or undefined when it was not obtained. */
export function metricValue(metric: Metric): number | undefined {
  return metric.source === 'unavailable' ? undefined : metric.value;
}
