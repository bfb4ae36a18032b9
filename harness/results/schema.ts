import { z } from 'zod';
import { DeviceKind } from '../config/device-spec.ts';
import { Budget, CompareOptions } from '../config/budget.ts';
import { RuntimeOptions, TaskKind } from '../config/suite.ts';
import { DeviceFacts } from '../devices/facts.ts';
import { ModelVariant } from '../plan/model-variant.ts';
import { ExampleOutput } from '../runner/protocol.ts';
import { LatencyMetric, Metric } from './metric.ts';
import { Quality } from './quality.ts';

export const RESULTS_SCHEMA_VERSION = 1;

export const LatencySample = z.strictObject({
  iteration: z.number().int().nonnegative(),
  exampleId: z.string(),
  latencyMs: z.number().nonnegative(),
  /** generate: time to first token and each decode step of this iteration. */
  ttftMs: z.number().nonnegative().optional(),
  decodeMs: z.array(z.number().nonnegative()).optional(),
});

export const ExampleResult = z.strictObject({
  exampleId: z.string(),
  output: ExampleOutput,
  /** The output in words: the class label, or the decoded generated text. */
  answer: z.string().optional(),
});

export const CellError = z.strictObject({
  /** Stable code, e.g. MODEL_LOAD_FAILED, RUNNER_KILLED, TIMEOUT, INTERRUPTED. */
  code: z.string(),
  message: z.string(),
});

/** One device x variant: every raw measurement, and summaries computed from them. */
export const CellResult = z.strictObject({
  deviceId: z.string(),
  /** Interleaved A/B runs (run --ab): the round this cell belongs to. */
  round: z.number().int().positive().optional(),
  variant: ModelVariant,
  status: z.enum(['ok', 'failed']),
  error: CellError.optional(),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime(),
  runtime: z
    .strictObject({ node: z.string(), onnxruntime: z.string(), platform: z.string(), arch: z.string() })
    .optional()
    .describe('What the runner reported about itself; absent when it never started.'),
  warmupLatenciesMs: z.array(z.number().nonnegative()),
  samples: z.array(LatencySample),
  outputs: z.array(ExampleResult),
  metrics: z.strictObject({
    latencyMs: LatencyMetric,
    loadMs: Metric,
    peakRssBytes: Metric,
    rssBeforeLoadBytes: Metric,
    /** Peak RSS minus RSS before the model was loaded: the model's own share. */
    modelRssBytes: Metric,
    diskBytes: Metric,
    /** generate only. */
    ttftMs: LatencyMetric.optional(),
    decodeTokenMs: LatencyMetric.optional(),
    decodeTokensPerSecond: Metric.optional(),
  }),
  quality: Quality.optional(),
});
export type CellResult = z.infer<typeof CellResult>;

export const DeviceRecord = z.strictObject({
  id: z.string(),
  kind: DeviceKind,
  class: z.string().optional(),
  facts: DeviceFacts.optional(),
  factsError: z.string().optional(),
});

export const Results = z
  .strictObject({
    schemaVersion: z.literal(RESULTS_SCHEMA_VERSION),
    tool: z.strictObject({ name: z.literal('edgebench'), version: z.string() }),
    runId: z.string(),
    status: z.enum(['running', 'complete', 'interrupted']),
    startedAt: z.iso.datetime(),
    finishedAt: z.iso.datetime().optional(),
    suite: z.strictObject({
      name: z.string(),
      file: z.string(),
      task: TaskKind,
      warmup: z.number().int(),
      iterations: z.number().int(),
      timeoutSeconds: z.number(),
      runtime: RuntimeOptions,
      dataset: z.strictObject({ file: z.string(), sha256: z.string(), examples: z.number().int() }),
      /** Carried along so that compare can gate on a results file alone. */
      budgets: z.array(Budget),
      compare: CompareOptions,
    }),
    devices: z.array(DeviceRecord),
    /** Set by run --ab: A and B alternated in rounds on each device; compare pairs the rounds. */
    ab: z.strictObject({ a: z.string(), b: z.string(), rounds: z.number().int().positive() }).optional(),
    cells: z.array(CellResult),
  })
  .describe('edgebench results.json: raw samples and summaries of one run.');
export type Results = z.infer<typeof Results>;
