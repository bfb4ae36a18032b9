import { z } from 'zod';
import { DeviceKind } from './device-spec.ts';
import { Budget, CompareOptions } from './budget.ts';
import { TaskKind } from './suite.ts';
import { RuntimeName, RuntimeOptions } from './runtime.ts';
import { DeviceFacts } from './device-facts.ts';
import { ModelVariant } from './model-variant.ts';
import { ExampleOutput } from './runner-protocol.ts';
import { RepeatProbes } from './probe-readings.ts';
import { CellThermal } from './cell-thermal.ts';
import { LatencyMetric, Metric } from './metric.ts';
import { Quality } from './quality.ts';

export const RESULTS_SCHEMA_VERSION = 1;

export const LatencySample = z.strictObject({
  iteration: z.number().int().nonnegative(),
  exampleId: z.string(),
  latencyMs: z.number().nonnegative(),
  /** The runner process (1-based repeat) that measured it. */
  repeat: z.number().int().positive().optional(),
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

/** One runner process of a cell: when it ran, how it ended, and its single-valued measurements. */
export const RepeatRecord = z.strictObject({
  repeat: z.number().int().positive(),
  status: z.enum(['ok', 'failed']),
  error: CellError.optional(),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime(),
  loadMs: z.number().nonnegative().optional(),
  peakRssBytes: z.number().nonnegative().optional(),
  modelRssBytes: z.number().nonnegative().optional(),
  /** Energy, temperature and throttling sampled beside this process, and the thermal gate before it. */
  probes: RepeatProbes.optional(),
  /** Attempts the device lost (DEVICE_LOST) before this one, each retried: infrastructure failures, kept apart from the cell's own. */
  lostAttempts: z.array(CellError).optional(),
  /** edgebench's own time for this process outside the runner and the thermal gate: starting it, the model's hash check, probes, the journal (ms). */
  overheadMs: z.number().nonnegative().optional(),
});
export type RepeatRecord = z.infer<typeof RepeatRecord>;

/** One device x variant: every raw measurement of all its runner processes, and summaries computed from them. */
export const CellResult = z.strictObject({
  deviceId: z.string(),
  variant: ModelVariant,
  status: z.enum(['ok', 'failed']),
  error: CellError.optional(),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime(),
  runtime: z
    .strictObject({
      /** The runtime that ran the cell; absent in results from before runtimes were named (those ran onnxruntime-node or, in a browser, onnxruntime-web). */
      name: RuntimeName.optional(),
      version: z.string().optional(),
      node: z.string(),
      /** The onnxruntime version: the runtime's version for the onnxruntime runtimes. */
      onnxruntime: z.string(),
      platform: z.string(),
      arch: z.string(),
    })
    .optional()
    .describe('What the runner reported about itself; absent when it never started.'),
  /** The constraints the cell ran under (an emulated profile), in words. */
  constraints: z.string().optional(),
  /** One entry per runner process (suite repeats); samples say which process measured them. */
  repeats: z.array(RepeatRecord).optional(),
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
    /** Peak memory as the device counts it (an emulated profile's cgroup), beside the runner's own VmHWM. */
    devicePeakBytes: Metric.optional(),
    diskBytes: Metric,
    /** generate only. */
    ttftMs: LatencyMetric.optional(),
    decodeTokenMs: LatencyMetric.optional(),
    decodeTokensPerSecond: Metric.optional(),
    /** Energy and thermal (results/energy-thermal.ts): measured, estimated from a power model, or unavailable with the reason. */
    energyPerInferenceMj: Metric.optional(),
    /** generate only. */
    energyPerTokenMj: Metric.optional(),
    averagePowerWatts: Metric.optional(),
    temperatureStartC: Metric.optional(),
    temperatureEndC: Metric.optional(),
    throttlingEvents: Metric.optional(),
  }),
  quality: Quality.optional(),
  /** The thermal gating and throttling state the cell was measured in. */
  thermal: CellThermal.optional(),
});
export type CellResult = z.infer<typeof CellResult>;

/** An example as reports show it: its input in words, and the answers it is scored against. */
export const ExampleRecord = z.strictObject({
  id: z.string(),
  /** The text, or the model inputs as JSON, cut to EXAMPLE_INPUT_CHARS. */
  input: z.string(),
  /** The dataset's label, when it has one. */
  label: z.string().optional(),
  /** The cloud baseline's answer, when the suite has one recorded or fetched. */
  baseline: z.string().optional(),
});
export const EXAMPLE_INPUT_CHARS = 300;

export const DeviceRecord = z.strictObject({
  id: z.string(),
  kind: DeviceKind,
  class: z.string().optional(),
  facts: DeviceFacts.optional(),
  factsError: z.string().optional(),
  /** An optional device that was unavailable, and why: none of its cells ran. */
  skipped: z.string().optional(),
});

const MsSummary = z.strictObject({ n: z.number().int().nonnegative(), p50: z.number().nonnegative(), max: z.number().nonnegative() });

export const SchedulingRecord = z.strictObject({
  policy: z.enum(['exclusive', 'disjoint-cores', 'serial']),
  note: z.string(),
  shared: z.array(z.strictObject({ resource: z.string(), devices: z.array(z.string()), capacity: z.number().int().positive() })),
  /** Most runner processes running at once. */
  peakConcurrency: z.number().int().nonnegative().optional(),
  overhead: z
    .strictObject({
      /** Per runner process: RepeatRecord.overheadMs. */
      perProcessMs: MsSummary,
      /** Recording a finished process: rebuilding its cell from its processes and queueing the rewrite of results.json (written in the background, one write at a time). */
      recordMs: MsSummary,
      /** Choosing the next processes each time one finished. */
      dispatchMs: MsSummary,
    })
    .optional(),
});
export type SchedulingRecord = z.infer<typeof SchedulingRecord>;

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
      repeats: z.number().int().positive().optional(),
      timeoutSeconds: z.number(),
      runtime: RuntimeOptions,
      dataset: z.strictObject({ file: z.string(), sha256: z.string(), examples: z.number().int() }),
      /** Carried along so that compare can gate on a results file alone. */
      budgets: z.array(Budget),
      compare: CompareOptions,
    }),
    devices: z.array(DeviceRecord),
    /** Set by run --shard: which part of the device list this job ran, and the whole list, in the plan's order. */
    shard: z.strictObject({ index: z.number().int().positive(), total: z.number().int().positive(), devices: z.array(z.string()) }).optional(),
    /** Set by merge: the shard runs this run was combined from. */
    mergedFrom: z.array(z.string()).optional(),
    /** How devices shared the machine: the policy, the resources devices shared, and the harness's own cost per runner process. */
    scheduling: SchedulingRecord.optional(),
    /** Set by run --ab: A and B alternated repeat by repeat on each device (AB, BA, ...); compare pairs the repeats. */
    ab: z.strictObject({ a: z.string(), b: z.string(), rounds: z.number().int().positive() }).optional(),
    /** The dataset's examples in words, for reports (outputs are in each cell). */
    examples: z.array(ExampleRecord).optional(),
    cells: z.array(CellResult),
  })
  .describe('edgebench results.json: raw samples and summaries of one run.');
export type Results = z.infer<typeof Results>;
