import type { ModelVariant } from '../core/model-variant.ts';
import type { ExampleOutput, RunnerEvent } from '../core/runner-protocol.ts';
import type { RunnerOutcome } from '../runner/spawn.ts';
import { median } from '../stats/percentile.ts';
import { summarize } from '../stats/summary.ts';
import { measured, unavailable, type LatencyMetric, type Metric } from '../core/metric.ts';
import type { RepeatProbes } from '../core/probe-readings.ts';
import { energyThermal } from './energy-thermal.ts';
import { instructionsMetric } from './instructions.ts';
import type { CellResult } from '../core/results.ts';
import type { WorkloadTest } from '../core/workload.ts';
import { workloadMetrics } from './workload-metrics.ts';

type EventOf<T extends RunnerEvent['type']> = Extract<RunnerEvent, { type: T }>;

/** One runner process of a cell: what it streamed and how it ended. */
export interface RunnerRun {
  startedAt: Date;
  finishedAt: Date;
  outcome: RunnerOutcome;
  /** Earlier attempts of this repeat that the device lost, and were run again. */
  lostAttempts?: { code: string; message: string }[];
  /** What the probes sampled beside the process, and the thermal gate before it. */
  probes?: RepeatProbes;
  /** edgebench's own time for the process outside the runner and the thermal gate (ms). */
  overheadMs?: number;
}

/**
 * Builds a cell's result from its runner processes (one per repeat): samples of
 * every process, pooled and tagged with their repeat; single-valued measurements
 * per process, summarised across them (load time: median; memory: the largest peak).
 */
export function cellResult(input: {
  deviceId: string;
  variant: ModelVariant;
  runs: RunnerRun[];
  timeoutMs: number;
  /** Puts an output in words (class label, decoded text) for reports and scorers. */
  answerOf?: (output: ExampleOutput) => string | undefined;
  /** generate: the suite's synthetic workload tests, by the example id their samples carry. */
  workload?: Readonly<Record<string, WorkloadTest>>;
  /** Metrics known from the model before it ran (PlannedVariant.modelMetrics). */
  modelMetrics?: Partial<CellResult['metrics']>;
  /** The suite measures instructions: a cell without a count says why. */
  countInstructions?: boolean;
}): CellResult {
  const runs = input.runs.map((run, index) => readRun(run, index + 1, input.timeoutMs));
  if (runs.length === 0) throw new RangeError('a cell needs at least one runner process');
  const error = runs.find((r) => r.error)?.error;
  const failedRepeat = runs.find((r) => r.error)?.repeat;
  const cellError = error ? (runs.length > 1 ? { code: error.code, message: `repeat ${failedRepeat} of ${runs.length}: ${error.message}` } : error) : undefined;
  const why = cellError ? `the cell failed (${cellError.code})` : '';
  const samples = runs.flatMap((r) => r.samples);
  const hello = runs.find((r) => r.hello)?.hello;
  // Outputs are deterministic for a variant; the first complete process's are kept.
  const outputs = (runs.find((r) => !r.error) ?? runs[0]!).outputs;
  // A paired round's process held both variants: its load was into a warm runtime beside the other model, and it read no memory of its own.
  const alone = runs.filter((r) => !r.pairedWith);
  const paired = runs.length - alone.length;
  const loads = alone.flatMap((r) => (r.loaded ? [r.loaded.loadMs] : []));
  const memories = runs.flatMap((r) => (r.memory ? [r.memory] : []));
  const before = runs.flatMap((r) => (r.loaded?.rssBeforeLoad ? [r.loaded.rssBeforeLoad] : []));
  const models = runs.flatMap((r) => (r.memory && r.loaded?.rssBeforeLoad ? [Math.max(0, r.memory.peakRss.bytes - r.loaded.rssBeforeLoad.bytes)] : []));
  const noMemory = why || runs.find((r) => r.memoryUnavailable)?.memoryUnavailable;
  const devicePeaks = runs.flatMap((r) => (r.devicePeakMemory ? [r.devicePeakMemory] : []));
  const constraints = runs.find((r) => r.constraints)?.constraints;
  const largest = (values: number[]) => Math.max(...values);
  const across = (how: string) => (runs.length > 1 ? `; ${how} of ${runs.length} runner processes` : '');
  const acrossAlone = (how: string) =>
    paired === 0
      ? across(how)
      : `; ${alone.length > 1 ? `${how} of ` : 'from '}the ${alone.length} runner process${alone.length > 1 ? 'es' : ''} that ran alone (${paired} more ran paired with ${runs.find((r) => r.pairedWith)!.pairedWith} in one process, and count for latency only)`;

  const latencyMs: LatencyMetric =
    !cellError && samples.length > 0
      ? {
          source: 'measured',
          unit: 'ms',
          method: `performance.now() around each inference step (RuntimeSession.run) in the runner${runs.length > 1 ? `, pooled over ${runs.length} runner processes` : ''}`,
          summary: summarize(samples.map((s) => s.latencyMs)),
        }
      : { source: 'unavailable', unit: 'ms', reason: why || 'no timed iterations completed' };
  const loadMs: Metric = loads.length
    ? measured(
        median(loads),
        'ms',
        `performance.now() around the runtime's load of the model in a fresh runner process (includes the runtime's start-up)${acrossAlone('median')}`,
      )
    : unavailable('ms', why || 'the model was not loaded');
  const peakRssBytes: Metric = memories.length
    ? measured(largest(memories.map((m) => m.peakRss.bytes)), 'bytes', `${memories[0]!.peakRss.method}${acrossAlone('largest')}`)
    : unavailable('bytes', noMemory || 'the runner did not report memory');
  const rssBeforeLoadBytes: Metric = before.length
    ? measured(median(before.map((b) => b.bytes)), 'bytes', `${before[0]!.method}${acrossAlone('median')}`)
    : unavailable('bytes', noMemory || 'the model was not loaded');
  const modelRssBytes: Metric = models.length
    ? measured(largest(models), 'bytes', `${memories[0]!.peakRss.method} minus ${before[0]!.method} before the model was loaded${acrossAlone('largest')}`)
    : unavailable('bytes', noMemory || 'the runner did not report memory');
  const energy = energyThermal(runs, why);

  return {
    deviceId: input.deviceId,
    variant: input.variant,
    status: cellError ? 'failed' : 'ok',
    ...(cellError ? { error: cellError } : {}),
    startedAt: input.runs[0]!.startedAt.toISOString(),
    finishedAt: input.runs.at(-1)!.finishedAt.toISOString(),
    ...(hello
      ? {
          runtime: {
            name: hello.runtime.name,
            version: hello.runtime.version,
            node: hello.node,
            onnxruntime: hello.runtime.version,
            platform: hello.platform,
            arch: hello.arch,
          },
        }
      : {}),
    ...(constraints ? { constraints } : {}),
    repeats: runs.map((r) => ({
      repeat: r.repeat,
      status: r.error ? 'failed' : 'ok',
      ...(r.error ? { error: r.error } : {}),
      startedAt: r.startedAt,
      finishedAt: r.finishedAt,
      ...(r.pairedWith ? { pairedWith: r.pairedWith } : r.loaded ? { loadMs: r.loaded.loadMs } : {}),
      ...(r.memory ? { peakRssBytes: r.memory.peakRss.bytes } : {}),
      ...(r.memory && r.loaded?.rssBeforeLoad ? { modelRssBytes: Math.max(0, r.memory.peakRss.bytes - r.loaded.rssBeforeLoad.bytes) } : {}),
      ...(r.lostAttempts?.length ? { lostAttempts: r.lostAttempts } : {}),
      ...(r.probes ? { probes: r.probes } : {}),
      ...(r.overheadMs !== undefined ? { overheadMs: r.overheadMs } : {}),
    })),
    warmupLatenciesMs: runs.flatMap((r) => r.warmupLatenciesMs),
    samples,
    outputs: outputs.map(({ exampleId, output }) => {
      const answer = input.answerOf?.(output);
      return { exampleId, output, ...(answer !== undefined ? { answer } : {}) };
    }),
    metrics: withinRange({
      latencyMs,
      loadMs,
      peakRssBytes,
      rssBeforeLoadBytes,
      modelRssBytes,
      ...(devicePeaks.length
        ? { devicePeakBytes: measured(largest(devicePeaks.map((p) => p.bytes)), 'bytes', `${devicePeaks[0]!.method}${acrossAlone('largest')}`) }
        : {}),
      diskBytes: input.variant.files.length
        ? measured(input.variant.diskBytes, 'bytes', 'sum of the sizes of the variant files (the .onnx file and its external data)')
        : unavailable('bytes', "the variant's model could not be read, so its files are not known"),
      ...generationMetrics(samples, why),
      ...input.modelMetrics,
      ...(input.workload ? { workload: workloadMetrics(samples, input.workload, why, runs.length) } : {}),
      ...energy.metrics,
      ...optional(
        'instructions',
        instructionsMetric(
          runs.map((r) => r.instructions),
          why,
          input.countInstructions ?? false,
        ),
      ),
    }),
    ...(energy.thermal ? { thermal: energy.thermal } : {}),
  };
}

/** What one runner process reported. */
function readRun(run: RunnerRun, repeat: number, timeoutMs: number) {
  const { outcome } = run;
  const find = <T extends RunnerEvent['type']>(type: T) => outcome.events.find((e): e is EventOf<T> => e.type === type);
  const all = <T extends RunnerEvent['type']>(type: T) => outcome.events.filter((e): e is EventOf<T> => e.type === type);
  return {
    repeat,
    startedAt: run.startedAt.toISOString(),
    finishedAt: run.finishedAt.toISOString(),
    hello: find('hello'),
    loaded: find('loaded'),
    memory: find('memory'),
    instructions: find('instructions'),
    samples: samplesOf(
      all('samples').filter((e) => e.phase === 'timed'),
      repeat,
    ),
    warmupLatenciesMs: all('samples')
      .filter((e) => e.phase === 'warmup')
      .flatMap((e) => e.latenciesMs),
    outputs: all('output'),
    error: failureOf(outcome, timeoutMs),
    devicePeakMemory: outcome.devicePeakMemory,
    constraints: outcome.constraints,
    memoryUnavailable: outcome.memoryUnavailable,
    pairedWith: outcome.pairedWith,
    lostAttempts: run.lostAttempts,
    probes: run.probes,
    overheadMs: run.overheadMs,
  };
}

const optional = <K extends string, V>(key: K, value: V | undefined) => (value === undefined ? {} : ({ [key]: value } as Record<K, V>));

function samplesOf(batches: EventOf<'samples'>[], repeat: number): CellResult['samples'] {
  return batches.flatMap((batch) =>
    batch.latenciesMs.map((latencyMs, k) => ({
      iteration: batch.firstIteration + k,
      exampleId: batch.exampleIds[k]!,
      latencyMs,
      repeat,
      ...(batch.ttftMs ? { ...(typeof batch.ttftMs[k] === 'number' ? { ttftMs: batch.ttftMs[k] } : {}), decodeMs: batch.decodeMs?.[k] ?? [] } : {}),
    })),
  );
}

/** Time to first token, per-token decode latency and decode throughput, for cells of the generate task. */
function generationMetrics(samples: CellResult['samples'], failure: string): Partial<CellResult['metrics']> {
  if (!samples.some((s) => s.ttftMs !== undefined || s.decodeMs !== undefined)) return {};
  if (failure) {
    const reason = { source: 'unavailable', unit: 'ms', reason: failure } as const;
    return { ttftMs: reason, decodeTokenMs: reason, decodeTokensPerSecond: { source: 'unavailable', unit: 'tokens/s', reason: failure } };
  }
  // A workload's tg tests decode without a first token of their own: they have steps but no TTFT.
  const ttft = samples.flatMap((s) => (s.ttftMs !== undefined ? [s.ttftMs] : []));
  const steps = samples.flatMap((s) => s.decodeMs ?? []);
  const method = 'performance.now() around each session.run of the greedy decode loop (including the argmax that picks the token)';
  const decodeTotalMs = steps.reduce((sum, ms) => sum + ms, 0);
  return {
    ttftMs:
      ttft.length > 0
        ? { source: 'measured', unit: 'ms', method: `${method}: the prefill run`, summary: summarize(ttft) }
        : { source: 'unavailable', unit: 'ms', reason: 'no iteration had a prefill (only workload tg tests ran)' },
    decodeTokenMs:
      steps.length > 0
        ? { source: 'measured', unit: 'ms', method: `${method}: each run after the prefill`, summary: summarize(steps) }
        : { source: 'unavailable', unit: 'ms', reason: 'every generation stopped after its first token' },
    decodeTokensPerSecond:
      steps.length > 0
        ? measured((steps.length * 1000) / decodeTotalMs, 'tokens/s', 'decode steps divided by their summed time (tokens per second after the first token)')
        : { source: 'unavailable', unit: 'tokens/s', reason: 'every generation stopped after its first token' },
  };
}

/**
 * Every measurement a journal can hold is finite, but a figure computed from
 * them can still leave the range of a double (samples near 1e308 ms summed, an
 * energy divided by a window of no length). Such a figure is unavailable, with
 * the reason, so that what was measured can always be written.
 */
function withinRange(metrics: CellResult['metrics']): CellResult['metrics'] {
  const reason = 'the figure computed from the measurements is out of range (a runner or probe reported an implausible value; see the raw samples)';
  const finite = (metric: Metric | LatencyMetric) =>
    metric.source === 'unavailable' || ('summary' in metric ? Object.values(metric.summary).every(Number.isFinite) : Number.isFinite(metric.value));
  const { workload, ...single } = metrics;
  const checked = Object.fromEntries(
    Object.entries(single).map(([name, metric]) => [name, metric && !finite(metric) ? unavailable(metric.unit, reason) : metric]),
  ) as unknown as CellResult['metrics'];
  if (!workload) return checked;
  const tests = Object.entries(workload).map(([id, test]) => [
    id,
    {
      ...test,
      tokensPerSecond: finite(test.tokensPerSecond) ? test.tokensPerSecond : unavailable('tokens/s', reason),
      stepMs: finite(test.stepMs) ? test.stepMs : { source: 'unavailable', unit: 'ms', reason },
    },
  ]);
  return { ...checked, workload: Object.fromEntries(tests) };
}

/** Why a runner process failed, as its cell records it; undefined when it completed. */
export function failureOf(outcome: RunnerOutcome, timeoutMs: number): { code: string; message: string } | undefined {
  const reported = outcome.events.find((e): e is EventOf<'error'> => e.type === 'error');
  const done = outcome.events.some((e) => e.type === 'done');
  if (outcome.canceled) return { code: 'INTERRUPTED', message: 'the run was interrupted (Ctrl-C or SIGTERM) while this cell was running' };
  if (outcome.deviceFailure) return outcome.deviceFailure;
  if (outcome.timedOut)
    return { code: 'TIMEOUT', message: `the cell did not finish within ${timeoutMs / 1000} s (raise timeoutSeconds in the suite if the model is this slow)` };
  if (reported) return { code: reported.code, message: reported.message };
  // A runtime that runs out of memory aborts itself (V8's heap limit, which follows a cgroup's memory cap; a failed C++ allocation): stderr says so.
  const outOfMemory = OUT_OF_MEMORY.exec(outcome.stderrTail);
  if (outOfMemory && outcome.exitCode !== 0) {
    const ended = outcome.signal ? `ended by ${outcome.signal}` : `exited with code ${outcome.exitCode}`;
    const why = "the variant needs more memory than the runner may use (the device's memory cap, or the runtime's heap limit)";
    return { code: 'OOM', message: `the runner ran out of memory (${ended}; its stderr: "${outOfMemory[0].trim()}"): ${why}` };
  }
  if (outcome.signal) {
    const hint = outcome.signal === 'SIGKILL' ? ' (often the kernel OOM killer: the variant needs more memory than the device has)' : '';
    const stderr = outcome.stderrTail.trim() ? `; stderr: ${lastLines(outcome.stderrTail)}` : '';
    return { code: 'RUNNER_KILLED', message: `the runner was killed by ${outcome.signal}${hint}${stderr}` };
  }
  if (outcome.exitCode !== 0) return { code: 'RUNNER_EXITED', message: `the runner exited with code ${outcome.exitCode}: ${lastLines(outcome.stderrTail)}` };
  if (!done)
    return {
      code: 'RUNNER_INCOMPLETE',
      message: `the runner exited without finishing its protocol${outcome.strayLines.length ? `; unexpected output: ${outcome.strayLines[0]}` : ''}`,
    };
  return undefined;
}

const OUT_OF_MEMORY = /[^\n]*(?:JavaScript heap out of memory|std::bad_alloc|out of memory|Cannot allocate memory)[^\n]*/i;

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-3).join(' | ') || '(no output on stderr)';
}
