import { measured, unavailable } from '../core/metric.ts';
import type { CellResult } from '../core/results.ts';
import type { WorkloadTest, WorkloadTestMetrics } from '../core/workload.ts';
import { summarize } from '../stats/summary.ts';

const METHOD = 'performance.now() around each session.run and the argmax of its last logits, in the runner';

/**
 * Each workload test's tokens/s and step latencies, from the samples whose exampleId is the test's name:
 * pp<P> from each timed prefill (P tokens each), tg<G>@d<D> from each decode step after the untimed depth fill.
 * Tokens/s is tokens over summed time, pooled over every run of the test in every runner process.
 */
export function workloadMetrics(
  samples: CellResult['samples'],
  tests: Readonly<Record<string, WorkloadTest>>,
  failure: string,
  processes: number,
): Record<string, WorkloadTestMetrics> {
  const pooled = processes > 1 ? `, pooled over ${processes} runner processes` : '';
  return Object.fromEntries(
    Object.entries(tests).map(([id, test]) => {
      const own = samples.filter((s) => s.exampleId === id);
      const spans = test.kind === 'pp' ? own.map((s) => s.latencyMs) : own.flatMap((s) => s.decodeMs ?? []);
      const tokens = test.kind === 'pp' ? spans.length * test.timedTokens : spans.length;
      const totalMs = spans.reduce((sum, ms) => sum + ms, 0);
      const why =
        failure ||
        (spans.length === 0 ? `no timed iteration ran ${id} (iterations are shared in turn by every example: raise iterations)` : '') ||
        (totalMs <= 0 ? `the timed spans of ${id} sum to 0 ms (the clock is too coarse)` : '');
      const figures: WorkloadTestMetrics = why
        ? { ...test, tokensPerSecond: unavailable('tokens/s', why), stepMs: { source: 'unavailable', unit: 'ms', reason: why } }
        : {
            ...test,
            tokensPerSecond: measured(
              (tokens * 1000) / totalMs,
              'tokens/s',
              test.kind === 'pp'
                ? `prompt tokens (${test.timedTokens} per prefill) divided by the summed prefill time${pooled}`
                : `decoded tokens divided by the summed time of their steps, the cache filled to depth ${test.depthTokens} before${pooled}`,
            ),
            stepMs: {
              source: 'measured',
              unit: 'ms',
              method: `${METHOD}: ${test.kind === 'pp' ? 'each prefill' : 'each decode step (inter-token latency)'}${pooled}`,
              summary: summarize(spans),
            },
          };
      return [id, figures];
    }),
  );
}
