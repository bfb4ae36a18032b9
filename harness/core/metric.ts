import { z } from 'zod';
import { Summary } from './summary.ts';

/**
 * Every number edgebench reports says where it came from. A value that was not
 * measured is never shown as if it had been: it is estimated (from what) or
 * unavailable (why).
 */
export const Unit = z.enum(['ms', 'bytes', 'joules', 'millijoules', 'watts', 'celsius', 'ratio', 'count', 'tokens/s']);

const Measured = z.strictObject({
  source: z.literal('measured').describe('The value was read from a counter or clock on this run; method says which.'),
  value: z.number().describe('The measurement, in unit.'),
  unit: Unit.describe('The unit of value.'),
  method: z.string().describe('The counter or clock the value was read from.'),
});
const Estimated = z.strictObject({
  source: z.literal('estimated').describe('The value was not measured but computed from other measurements and a model; from says which.'),
  value: z.number().describe('The estimate, in unit.'),
  unit: Unit.describe('The unit of value.'),
  from: z.string().describe('What the estimate was computed from.'),
});
const Unavailable = z.strictObject({
  source: z.literal('unavailable').describe('No value was obtained; reason says why.'),
  unit: Unit.describe('The unit the value would have had.'),
  reason: z.string().describe('Why there is no value, e.g. the cell failed, or the device has no such counter.'),
});

export const Metric = z.discriminatedUnion('source', [Measured, Estimated, Unavailable]);
export type Metric = z.infer<typeof Metric>;

export const LatencyMetric = z.discriminatedUnion('source', [
  z.strictObject({
    source: z.literal('measured').describe('Summarised from latencies measured on this run; method says with which clock.'),
    unit: z.literal('ms').describe('Milliseconds.'),
    method: z.string().describe('The clock, what it timed, and over which runner processes the samples were pooled.'),
    summary: Summary.describe('Location and spread of the measured latencies in ms.'),
  }),
  Unavailable.extend({ unit: z.literal('ms').describe('Milliseconds, had it been measured.') }),
]);
export type LatencyMetric = z.infer<typeof LatencyMetric>;

export const measured = (value: number, unit: z.infer<typeof Unit>, method: string): Metric => ({ source: 'measured', value, unit, method });
export const unavailable = (unit: z.infer<typeof Unit>, reason: string): Metric => ({ source: 'unavailable', unit, reason });

/** The value of a metric, or undefined when it was not obtained. */
export function metricValue(metric: Metric): number | undefined {
  return metric.source === 'unavailable' ? undefined : metric.value;
}
