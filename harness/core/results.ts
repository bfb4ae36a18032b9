import { z } from 'zod';
import { DeviceKind } from './device-spec.ts';
import { AdaptiveRepeatsOptions, RepeatStop } from './adaptive-repeats.ts';
import { Budget, CompareOptions } from './budget.ts';
import { GateSettings } from './gate-settings.ts';
import { SequentialRecord } from './sequential.ts';
import { TaskKind } from './suite.ts';
import { RuntimeName, RuntimeOptions } from './runtime.ts';
import { DeviceFacts } from './device-facts.ts';
import { ModelVariant } from './model-variant.ts';
import { ExampleOutput } from './runner-protocol.ts';
import { RepeatProbes } from './probe-readings.ts';
import { CellThermal } from './cell-thermal.ts';
import { LatencyMetric, Metric } from './metric.ts';
import { InstructionsMetric } from './instructions-metric.ts';
import { Quality } from './quality.ts';
import { WorkloadTestMetrics } from './workload.ts';

export const RESULTS_SCHEMA_VERSION = 1;

export const LatencySample = z.strictObject({
  iteration: z.number().int().nonnegative().describe('Index of this timed iteration within its runner process, from 0; warm-up iterations are not counted.'),
  exampleId: z.string().describe('The dataset example this iteration ran (examples are used in turn).'),
  latencyMs: z
    .number()
    .nonnegative()
    .describe(
      "Wall time of the iteration in ms: performance.now() around the task's session.run calls in the runner (for generate, the prefill and every decode step).",
    ),
  /** The runner process (1-based repeat) that measured it. */
  repeat: z.number().int().positive().optional().describe('The runner process (1-based repeat) that measured it.'),
  /** generate: time to first token and each decode step of this iteration. */
  ttftMs: z.number().nonnegative().optional().describe('generate: time to first token in ms, the prefill session.run and the argmax that picks the token.'),
  decodeMs: z
    .array(z.number().nonnegative())
    .optional()
    .describe('generate: ms of each decode step after the first token, in order (one session.run and argmax per token).'),
});

export const ExampleResult = z.strictObject({
  exampleId: z.string().describe('The dataset example.'),
  output: ExampleOutput.describe(
    'What the model returned for the example the first time the timed loop ran it, from the first runner process that completed (outputs are deterministic for a variant).',
  ),
  /** The output in words: the class label, or the decoded generated text. */
  answer: z
    .string()
    .optional()
    .describe(
      'The output in words: the class label (classification.labels, else the class index), or the generated text decoded with the tokenizer; absent for embed and forward.',
    ),
});

export const CellError = z.strictObject({
  /** Stable code, e.g. MODEL_LOAD_FAILED, RUNNER_KILLED, TIMEOUT, INTERRUPTED. */
  code: z
    .string()
    .describe(
      'Stable code, e.g. MODEL_LOAD_FAILED, INFERENCE_FAILED, OOM, RUNNER_KILLED, RUNNER_EXITED, RUNNER_INCOMPLETE, TIMEOUT, INTERRUPTED, DEVICE_LOST, MODEL_CHANGED.',
    ),
  message: z.string().describe("What happened, in words: the runner's error or the end of its stderr, and the fix where one is known."),
});

/** One runner process of a cell: when it ran, how it ended, and its single-valued measurements. */
export const RepeatRecord = z.strictObject({
  repeat: z.number().int().positive().describe('Which runner process of the cell, from 1.'),
  status: z.enum(['ok', 'failed']).describe('ok: the runner process finished its protocol; failed: error says why.'),
  error: CellError.optional().describe('Why the runner process failed.'),
  startedAt: z.iso.datetime().describe('When edgebench started the process, after the thermal gate (UTC).'),
  finishedAt: z.iso.datetime().describe('When the process ended and its probes stopped (UTC).'),
  loadMs: z
    .number()
    .nonnegative()
    .optional()
    .describe(
      'Model load time in ms: performance.now() around InferenceSession.create in this fresh process (includes onnxruntime start-up); absent when the model did not load.',
    ),
  peakRssBytes: z
    .number()
    .nonnegative()
    .optional()
    .describe(
      'Peak resident memory of the runner process in bytes, as the runner read it at the end (VmHWM from /proc/self/status, else getrusage ru_maxrss; metrics.peakRssBytes.method says which).',
    ),
  modelRssBytes: z
    .number()
    .nonnegative()
    .optional()
    .describe("peakRssBytes minus the resident memory just before InferenceSession.create, in bytes (at least 0): the model's own share."),
  pairedWith: z
    .string()
    .optional()
    .describe(
      "Set for a paired A/B round's process (run --ab --paired): the variant this one shared it with, their iterations alternated. Its latencies count; it has no load time, memory or probes of its own (those come from the processes that ran alone).",
    ),
  /** Energy, temperature and throttling sampled beside this process, and the thermal gate before it. */
  probes: RepeatProbes.optional().describe(
    'Energy, temperature and throttling sampled beside this process, and the thermal gate before it; absent when no probes ran.',
  ),
  /** Attempts the device lost (DEVICE_LOST) before this one, each retried: infrastructure failures, kept apart from the cell's own. */
  lostAttempts: z
    .array(CellError)
    .optional()
    .describe(
      "Attempts the device lost (DEVICE_LOST) before this one, each retried up to the suite's retries: infrastructure failures, kept apart from the cell's own.",
    ),
  /** edgebench's own time for this process outside the runner and the thermal gate: starting it, the model's hash check, probes, the journal (ms). */
  overheadMs: z
    .number()
    .nonnegative()
    .optional()
    .describe(
      "edgebench's own time for this process outside the runner and the thermal gate, in ms: starting it, the model's hash check, probes, the journal.",
    ),
});
export type RepeatRecord = z.infer<typeof RepeatRecord>;

/** One device x variant: every raw measurement of all its runner processes, and summaries computed from them. */
export const CellResult = z.strictObject({
  deviceId: z.string().describe('The device (devices[].id) the cell ran on.'),
  variant: ModelVariant.describe('The variant as found on disk when the run was planned: its files, sizes and hashes.'),
  status: z.enum(['ok', 'failed']).describe('ok when every runner process completed; failed when one did not (error says which and why).'),
  error: CellError.optional().describe(
    'The first failure among the cell\'s runner processes, its message prefixed with "repeat i of n" when the cell had several.',
  ),
  startedAt: z.iso.datetime().describe("When the cell's first runner process started (UTC)."),
  finishedAt: z.iso.datetime().describe('When its last runner process ended (UTC).'),
  runtime: z
    .strictObject({
      name: RuntimeName.optional().describe(
        'The runtime that ran the cell (onnxruntime-node, onnxruntime-web); absent in results from before runtimes were named, whose cells ran onnxruntime-node, or onnxruntime-web in a browser.',
      ),
      version: z.string().optional().describe("The runtime's own version, as the runner reported it; absent where name is."),
      node: z.string().describe("The runner's Node.js version (process.version), or what a browser or phone runner reports in its place."),
      onnxruntime: z.string().describe('The onnxruntime-node or onnxruntime-web version the runner loaded (for these runtimes, the same as version).'),
      platform: z.string().describe('process.platform of the runner, e.g. linux.'),
      arch: z.string().describe('process.arch of the runner, e.g. x64 or arm64.'),
    })
    .optional()
    .describe('What the runner reported about itself; absent when it never started.'),
  /** The constraints the cell ran under (an emulated profile), in words. */
  constraints: z
    .string()
    .optional()
    .describe('The constraints the cell ran under (an emulated profile: CPU quota, memory cap), in words, as the device reported them.'),
  /** One entry per runner process (suite repeats); samples say which process measured them. */
  repeats: z.array(RepeatRecord).optional().describe("One entry per runner process (the suite's repeats), in order; samples say which process measured them."),
  repeatStop: RepeatStop.optional().describe(
    'How many runner processes the cell needed and why it stopped adding them; absent in results from before adaptive repeats.',
  ),
  warmupLatenciesMs: z
    .array(z.number().nonnegative())
    .describe('Latency in ms of every untimed warm-up iteration of every runner process, in order; kept apart from the samples and from every summary.'),
  samples: z
    .array(LatencySample)
    .describe('Every timed iteration of every runner process, in order: the raw latencies the latency summaries are computed from.'),
  outputs: z.array(ExampleResult).describe('One output per dataset example, from the first runner process that completed.'),
  metrics: z
    .strictObject({
      latencyMs: LatencyMetric.describe(
        'Latency of a timed iteration in ms, summarised over the samples of every runner process pooled; unavailable when the cell failed or no timed iteration completed.',
      ),
      loadMs: Metric.describe('Model load time in ms: the median over runner processes of repeats[].loadMs.'),
      peakRssBytes: Metric.describe(
        "Peak resident memory of the runner in bytes: the largest over its processes (the counter is in method); unavailable when the device's memory cannot be read.",
      ),
      rssBeforeLoadBytes: Metric.describe(
        "Resident memory of the runner just before InferenceSession.create in bytes, the median over processes: the runtime's own footprint.",
      ),
      /** Peak RSS minus RSS before the model was loaded: the model's own share. */
      modelRssBytes: Metric.describe("Peak RSS minus RSS before the model was loaded, in bytes: the model's own share; the largest over processes."),
      /** Peak memory as the device counts it (an emulated profile's cgroup), beside the runner's own VmHWM. */
      devicePeakBytes: Metric.optional().describe(
        "Peak memory in bytes as the device counts it (an emulated profile's cgroup memory.peak), the largest over processes; beside the runner's own VmHWM. Absent for devices that do not count it.",
      ),
      diskBytes: Metric.describe(
        "Sum of the sizes of the variant's files (the .onnx file and its external data), in bytes; unavailable when the model could not be read.",
      ),
      /** generate only. */
      ttftMs: LatencyMetric.optional().describe('generate only: time to first token in ms (the prefill session.run), summarised over every generation.'),
      decodeTokenMs: LatencyMetric.optional().describe(
        'generate only: ms per decode step after the first token, summarised over every step of every generation.',
      ),
      decodeTokensPerSecond: Metric.optional().describe(
        'generate only: decode steps divided by their summed time, in tokens/s (the speed after the first token).',
      ),
      kvCacheBytesPerToken: Metric.optional().describe(
        'generate only: bytes of KV cache each context token costs, estimated from the KV shapes (every past input of the graph: heads x head size x element bytes); not a measurement of what the runtime allocates.',
      ),
      workload: z
        .record(z.string(), WorkloadTestMetrics)
        .optional()
        .describe(
          "generate with a workload: each synthetic test by its name (e.g. pp512, tg128@d512), summarised from the samples whose exampleId is that name; see the README's LLM metric set.",
        ),
      /** Energy and thermal (results/energy-thermal.ts): measured, estimated from a power model, or unavailable with the reason. */
      energyPerInferenceMj: Metric.optional().describe(
        "Energy per timed iteration in mJ: the energy probe's joules over the timed phase divided by its iterations, the median over runner processes. Measured (RAPL, battery, external meter), estimated (CPU time x power model) or unavailable with the reason; absent when no probes ran.",
      ),
      /** generate only. */
      energyPerTokenMj: Metric.optional().describe(
        'generate only: energy over the timed phase divided by the tokens it generated, in mJ; the median over runner processes.',
      ),
      averagePowerWatts: Metric.optional().describe('Energy over the timed phase divided by its duration, in W; the median over runner processes.'),
      temperatureStartC: Metric.optional().describe(
        'Temperature in °C at the start of the timed phase (the first sample at or after it), the median over runner processes.',
      ),
      temperatureEndC: Metric.optional().describe(
        'Temperature in °C at the end of the timed phase (the last sample at or before it), the median over runner processes.',
      ),
      instructions: InstructionsMetric.optional().describe(
        "Instructions onnxruntime executed per inference (per token for generate), counted under callgrind; absent unless the suite measures instructions. Labelled: not this CPU's kernels.",
      ),
      throttlingEvents: Metric.optional().describe(
        'Count of throttling events (repeats[].probes.throttling.events) summed over runner processes; unavailable unless throttling was measured in every process.',
      ),
    })
    .describe(
      'Summaries of the samples and the single-valued measurements; each says whether it was measured (how), estimated (from what) or unavailable (why).',
    ),
  quality: Quality.optional().describe(
    "Scores of the cell's outputs against the baseline and the reference variant, computed once every cell has run; absent while the run is running.",
  ),
  /** The thermal gating and throttling state the cell was measured in. */
  thermal: CellThermal.optional().describe('The thermal gating and throttling state the cell was measured in; absent when no probes ran.'),
});
export type CellResult = z.infer<typeof CellResult>;

/** An example as reports show it: its input in words, and the answers it is scored against. */
export const ExampleRecord = z.strictObject({
  id: z.string().describe("The example's id in the dataset."),
  /** The text, or the model inputs as JSON, cut to EXAMPLE_INPUT_CHARS. */
  input: z.string().describe('The example\'s text field, or its model inputs as JSON, cut to 300 characters (EXAMPLE_INPUT_CHARS) with a trailing "…".'),
  /** The dataset's label, when it has one. */
  label: z.string().optional().describe("The dataset's label field, when it is a string."),
  /** The cloud baseline's answer, when the suite has one recorded or fetched. */
  baseline: z
    .string()
    .optional()
    .describe("The cloud baseline's answer, when the suite has one recorded in the dataset or fetched from an openai-compatible endpoint."),
});
export const EXAMPLE_INPUT_CHARS = 300;

export const DeviceRecord = z.strictObject({
  id: z.string().describe("The device's id in devices.yaml."),
  kind: DeviceKind.describe('The device kind, which names its driver (harness/devices/).'),
  class: z.string().optional().describe("The device's class in devices.yaml; budgets can select devices by it."),
  facts: DeviceFacts.optional().describe('What the device is, read by its driver at the start of the run.'),
  factsError: z.string().optional().describe('Why the driver could not read the device facts (its error message).'),
  /** An optional device that was unavailable, and why: none of its cells ran. */
  skipped: z.string().optional().describe('An optional device that was unavailable, and why: none of its cells ran.'),
});

const MsSummary = z.strictObject({
  n: z.number().int().nonnegative().describe('Number of values.'),
  p50: z.number().nonnegative().describe('Median in ms (linear interpolation between closest ranks, stats/percentile.ts).'),
  max: z.number().nonnegative().describe('Largest value in ms; 0 when there are none.'),
});

export const SchedulingRecord = z.strictObject({
  policy: z
    .enum(['exclusive', 'disjoint-cores', 'serial'])
    .describe(
      "How runner processes shared this machine (devices.yaml scheduling): exclusive: devices on this machine's cores one at a time; disjoint-cores: together when their pinned cores are disjoint; serial: one process at a time across all devices.",
    ),
  note: z.string().describe('The policy in words, for reports.'),
  shared: z
    .array(
      z.strictObject({
        resource: z.string().describe("The resource, e.g. host (this machine's cores), core:<n>, endpoint:<url> or run."),
        devices: z.array(z.string()).describe('Ids of the devices that claim it.'),
        capacity: z.number().int().positive().describe('How many runner processes may hold it at once.'),
      }),
    )
    .describe('Resources more than one device claims, so their runner processes took turns on them.'),
  /** Most runner processes running at once. */
  peakConcurrency: z.number().int().nonnegative().optional().describe('Most runner processes running at once, counted by the scheduler.'),
  overhead: z
    .strictObject({
      /** Per runner process: RepeatRecord.overheadMs. */
      perProcessMs: MsSummary.describe('Per runner process: RepeatRecord.overheadMs.'),
      /** Recording a finished process: rebuilding its cell from its processes and queueing the rewrite of results.json (written in the background, one write at a time). */
      recordMs: MsSummary.describe(
        'Recording a finished process: rebuilding its cell from its processes and queueing the rewrite of results.json (written in the background, one write at a time).',
      ),
      /** Choosing the next processes each time one finished. */
      dispatchMs: MsSummary.describe('Choosing the next processes each time one finished.'),
    })
    .optional()
    .describe("edgebench's own time, summarised in ms (performance.now()); absent when no runner process ran."),
});
export type SchedulingRecord = z.infer<typeof SchedulingRecord>;

export const Results = z
  .strictObject({
    schemaVersion: z
      .literal(RESULTS_SCHEMA_VERSION)
      .describe("Version of this file's layout (RESULTS_SCHEMA_VERSION); edgebench reads only the version it writes."),
    tool: z
      .strictObject({
        name: z.literal('edgebench').describe('The program that wrote the file.'),
        version: z.string().describe('Its version, from its package.json.'),
      })
      .describe('The program that wrote the file.'),
    runId: z.string().describe("The run's id, and its folder's name: the UTC start time plus a random suffix, or --run-id."),
    status: z
      .enum(['running', 'complete', 'interrupted'])
      .describe(
        'running: cells are still running (the file is rewritten after every runner process); complete: every cell ran and was scored; interrupted: the run was stopped (Ctrl-C or SIGTERM), what ran is kept.',
      ),
    startedAt: z.iso.datetime().describe('When the run started (UTC); a resumed run keeps the first start.'),
    finishedAt: z.iso.datetime().optional().describe('When the run ended (UTC); absent while it is running.'),
    suite: z
      .strictObject({
        name: z.string().describe("The suite's name."),
        file: z.string().describe('The suite file, relative to the working directory of the run.'),
        task: TaskKind.describe('What the model does: classify, generate, embed or forward.'),
        warmup: z.number().int().describe('Untimed iterations per runner process before measuring.'),
        iterations: z.number().int().describe('Timed iterations per runner process.'),
        repeats: z
          .number()
          .int()
          .positive()
          .optional()
          .describe("Most runner processes per device x variant: the suite's repeats, or --repeats (each cell's repeatStop says how many it ran)."),
        adaptiveRepeats: AdaptiveRepeatsOptions.optional().describe(
          "The suite's adaptive repeats as run (enabled false for run --ab); absent in results from before adaptive repeats.",
        ),
        timeoutSeconds: z.number().describe('A cell that ran longer was stopped and recorded as failed (TIMEOUT).'),
        runtime: RuntimeOptions.describe(
          "The suite's runtime settings: the runtime it named, if any (each cell records the one it ran on), and the session options every variant ran with.",
        ),
        dataset: z
          .strictObject({
            file: z.string().describe('The dataset file, relative to the working directory of the run.'),
            sha256: z.string().describe("sha256 of the dataset file's text, hex."),
            examples: z.number().int().describe('Number of examples in it.'),
          })
          .describe('The dataset the examples came from.'),
        /** Carried along so that compare can gate on a results file alone. */
        budgets: z.array(Budget).describe("The suite's release budgets, carried along so that compare can gate on a results file alone."),
        compare: CompareOptions.describe("The suite's compare settings, carried along for the same reason."),
        gate: GateSettings.optional().describe("The suite's gate settings (failOn), carried along for the same reason."),
      })
      .describe('The suite settings the run measured under, copied from the suite file.'),
    devices: z.array(DeviceRecord).describe("Every device of the run (of this shard, with --shard), in the plan's order, with its facts."),
    /** Set by run --shard: which part of the device list this job ran, and the whole list, in the plan's order. */
    shard: z
      .strictObject({
        index: z.number().int().positive().describe('Which part this job ran, from 1.'),
        total: z.number().int().positive().describe('How many parts the device list was split into.'),
        devices: z.array(z.string()).describe("Every device id of the whole run, in the plan's order."),
      })
      .optional()
      .describe('Set by run --shard: which part of the device list this job ran, and the whole list.'),
    /** Set by merge: the shard runs this run was combined from. */
    mergedFrom: z.array(z.string()).optional().describe('Set by merge: the run ids of the shard runs this run was combined from.'),
    /** How devices shared the machine: the policy, the resources devices shared, and the harness's own cost per runner process. */
    scheduling: SchedulingRecord.optional().describe(
      "How devices shared the machine: the policy, the resources devices shared, and edgebench's own cost per runner process; set when the cells have run.",
    ),
    /** Set by run --ab: A and B alternated repeat by repeat on each device (AB, BA, ...); compare pairs the repeats. */
    ab: z
      .strictObject({
        a: z.string().describe('Name of the A variant.'),
        b: z.string().describe('Name of the B variant.'),
        rounds: z.number().int().positive().describe('AB or BA pairs of runner processes per device (with sequential stopping, at most).'),
        turnsOn: z
          .array(z.string())
          .optional()
          .describe(
            "Devices whose rounds ran A's and B's runner processes side by side, taking turns load by load and iteration by iteration, so the machine's drift over a round falls on both alike; on the others (and in results without this field) a round's two processes ran one after the other.",
          ),
        pairedOn: z
          .array(z.string())
          .optional()
          .describe(
            'Devices whose rounds after the first ran both variants in one runner process, their iterations alternated (A B, B A, ...), so whatever the machine did over a round fell on both alike; memory and load time come from the first round, which ran each variant alone.',
          ),
        sequential: SequentialRecord.optional(),
      })
      .optional()
      .describe('Set by run --ab: A and B alternated repeat by repeat on each device (AB, BA, ...); compare pairs the repeats.'),
    /** The dataset's examples in words, for reports (outputs are in each cell). */
    examples: z.array(ExampleRecord).optional().describe("The dataset's examples in words, for reports (the outputs are in each cell)."),
    cells: z.array(CellResult).describe('One result per device x variant, added as its runner processes finish.'),
  })
  .describe('edgebench results.json: raw samples and summaries of one run.');
export type Results = z.infer<typeof Results>;
