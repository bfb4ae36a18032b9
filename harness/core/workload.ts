import { z } from 'zod';
import { LatencyMetric, Metric } from './metric.ts';

/**
 * The synthetic LLM workload, defined the way llama-bench defines its tests:
 *
 *   pp<P>        prompt processing: one prefill of P tokens into an empty KV cache; tokens/s = P / its time.
 *   tg<G>@d<D>   text generation at depth D: the cache is first filled with D tokens by an untimed prefill,
 *                then G tokens are decoded one per step, each step timed; tokens/s = G / the steps' summed time.
 *
 * Token ids are synthetic and deterministic (workload-ids.ts): the same ids for every variant and every run.
 */
export const Workload = z
  .strictObject({
    promptTokens: z
      .array(z.number().int().min(1).max(1_000_000))
      .min(1)
      .default([128])
      .describe('Prompt lengths: one ppP test, e.g. pp512 (prefill tokens/s into an empty KV cache) per length.'),
    generateTokens: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(128)
      .describe('Tokens decoded one per step in each tgG@dD test, e.g. tg128@d512 (decode tokens/s and inter-token latency).'),
    depths: z
      .array(z.number().int().min(0).max(1_000_000))
      .min(1)
      .default([0])
      .describe('KV cache depths, as llama-bench -d: tokens already in the cache (filled by an untimed prefill) when a tg test starts decoding.'),
    seed: z
      .number()
      .int()
      .nonnegative()
      .default(1)
      .describe('Seed of the token ids (mulberry32, uniform over the vocabulary): the same ids for every variant and run.'),
  })
  .describe(
    'A synthetic generate workload beside or instead of the dataset, as llama-bench runs it: each test is run as an example of its own, so iterations are shared between the tests and the dataset examples in turn.',
  );
export type Workload = z.infer<typeof Workload>;

/** One test of the workload, as the runner runs it (TaskSpec generate.workload, by example id). */
export const WorkloadTest = z.strictObject({
  kind: z.enum(['pp', 'tg']).describe('pp: time one prefill; tg: fill the cache to depthTokens untimed, then time each decode step.'),
  depthTokens: z.number().int().nonnegative().describe('Tokens put in the KV cache before the timed part (0 for pp).'),
  timedTokens: z.number().int().positive().describe('pp: prompt tokens in the timed prefill; tg: tokens decoded, one timed step each.'),
});
export type WorkloadTest = z.infer<typeof WorkloadTest>;

/** The name of a test, which is also its example id in samples and its metric name in compare and budgets. */
export function workloadTestId(test: WorkloadTest): string {
  return test.kind === 'pp' ? `pp${test.timedTokens}` : `tg${test.timedTokens}@d${test.depthTokens}`;
}

/** The tests of a workload, in the order they run: every pp, then every tg by depth. */
export function workloadTests(workload: Workload): WorkloadTest[] {
  const unique = <T>(values: readonly T[]) => values.filter((v, i) => values.indexOf(v) === i);
  return [
    ...unique(workload.promptTokens).map((p): WorkloadTest => ({ kind: 'pp', depthTokens: 0, timedTokens: p })),
    ...unique(workload.depths).map((d): WorkloadTest => ({ kind: 'tg', depthTokens: d, timedTokens: workload.generateTokens })),
  ];
}

const PP_ID = /^pp(\d+)$/;
const TG_ID = /^tg(\d+)@d(\d+)$/;

/** The test a sample's example id names, if it names one. */
export function parseWorkloadTestId(id: string): WorkloadTest | undefined {
  const pp = PP_ID.exec(id);
  if (pp) return { kind: 'pp', depthTokens: 0, timedTokens: Number(pp[1]) };
  const tg = TG_ID.exec(id);
  if (tg) return { kind: 'tg', depthTokens: Number(tg[2]), timedTokens: Number(tg[1]) };
  return undefined;
}

/** One test's figures in a cell (CellResult.metrics.workload), summarised from the samples whose exampleId is the test's id. */
export const WorkloadTestMetrics = z
  .strictObject({
    kind: WorkloadTest.shape.kind,
    depthTokens: WorkloadTest.shape.depthTokens,
    timedTokens: WorkloadTest.shape.timedTokens,
    tokensPerSecond: Metric.describe(
      'pp: prompt tokens divided by the prefill time; tg: decoded tokens divided by the summed step time; over every run of the test in every runner process.',
    ),
    stepMs: LatencyMetric.describe(
      'pp: ms of each timed prefill; tg: ms of each decode step, the inter-token latency (p50, p90, p99 in summary). Each span is one session.run and the argmax of its last logits.',
    ),
  })
  .describe('One synthetic workload test of a generate cell.');
export type WorkloadTestMetrics = z.infer<typeof WorkloadTestMetrics>;

/** Names compare and budgets read from the workload: pp<P> and tg<G>@d<D> tokens/s, and itl@d<D>.p50|p90|p99 ms. */
export const WorkloadMetricName = z.union([
  z.templateLiteral(['pp', z.int().nonnegative()]),
  z.templateLiteral(['tg', z.int().nonnegative(), '@d', z.int().nonnegative()]),
  z.templateLiteral(['itl@d', z.int().nonnegative(), '.', z.enum(['p50', 'p90', 'p99'])]),
]).refine((name) => !name.includes('-'), 'token counts in a workload metric name are whole numbers');
export type WorkloadMetricName = z.infer<typeof WorkloadMetricName>;
