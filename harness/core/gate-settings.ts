import { z } from 'zod';
import { MetricName, type Budget } from './budget.ts';

/**
 * The default gate: what fails a comparison when the suite names no budgets, so a CI job without budgets is
 * still protected. Latency (p50, p90, time to first token, decode tokens/s), peak memory, and quality
 * (accuracy, which is agreement with the baseline; fidelity's KL divergence and top-1 agreement; the perplexity
 * task's mean KL divergence and same top-1 share; hallucination).
 */
export const DEFAULT_FAIL_ON = [
  'latency.p50',
  'latency.p90',
  'ttft.p50',
  'decodeTokensPerSecond',
  'peakRssBytes',
  'accuracy',
  'klDivergence',
  'top1Agreement',
  'kld.mean',
  'sameTop1',
  'hallucination',
] as const satisfies readonly MetricName[];

export const GateSettings = z
  .strictObject({
    failOn: z
      .array(MetricName)
      .describe(
        'Metrics whose "regressed" verdict fails the gate (exit 1), on every device and variant compared. Default: none when the suite has budgets, else the default gate (latency p50/p90, TTFT, decode tokens/s, peak memory, accuracy, KL divergence, top-1 agreement, hallucination). [] turns the default gate off.',
      ),
  })
  .describe('What fails the gate besides the budgets.');
export type GateSettings = z.infer<typeof GateSettings>;

/** The metrics a regressed verdict fails the gate on: the suite's list, or the default gate when it has neither a list nor budgets. */
export function failOnMetrics(gate: GateSettings | undefined, budgets: readonly Budget[]): readonly MetricName[] {
  if (gate) return gate.failOn;
  return budgets.length === 0 ? DEFAULT_FAIL_ON : [];
}
