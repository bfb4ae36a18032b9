import type { ModelVariant } from '../plan/model-variant.ts';
import type { ExampleOutput, RunnerEvent } from '../runner/protocol.ts';
import type { RunnerOutcome } from '../runner/spawn.ts';
import { summarize } from '../stats/summary.ts';
import { measured, unavailable, type LatencyMetric, type Metric } from './metric.ts';
import type { CellResult } from './schema.ts';

type EventOf<T extends RunnerEvent['type']> = Extract<RunnerEvent, { type: T }>;

/** Builds a cell's result from what its runner streamed and how the runner ended. */
export function cellResult(input: {
  deviceId: string;
  variant: ModelVariant;
  startedAt: Date;
  finishedAt: Date;
  outcome: RunnerOutcome;
  timeoutMs: number;
  /** Puts an output in words (class label, decoded text) for reports and scorers. */
  answerOf?: (output: ExampleOutput) => string | undefined;
}): CellResult {
  const { outcome } = input;
  const find = <T extends RunnerEvent['type']>(type: T) => outcome.events.find((e): e is EventOf<T> => e.type === type);
  const all = <T extends RunnerEvent['type']>(type: T) => outcome.events.filter((e): e is EventOf<T> => e.type === type);

  const hello = find('hello');
  const loaded = find('loaded');
  const memory = find('memory');
  const samples = samplesOf(all('samples').filter((e) => e.phase === 'timed'));
  const error = failureOf(outcome, input.timeoutMs);
  const why = error ? `the cell failed (${error.code})` : '';

  const latencyMs: LatencyMetric =
    !error && samples.length > 0
      ? { source: 'measured', unit: 'ms', method: 'process.hrtime.bigint() around each session.run in the runner', summary: summarize(samples.map((s) => s.latencyMs)) }
      : { source: 'unavailable', unit: 'ms', reason: why || 'no timed iterations completed' };
  const loadMs: Metric = loaded ? measured(loaded.loadMs, 'ms', 'process.hrtime.bigint() around the first InferenceSession.create in a fresh runner process (includes onnxruntime start-up)') : unavailable('ms', why || 'the model was not loaded');
  const peakRssBytes: Metric = memory ? measured(memory.peakRss.bytes, 'bytes', memory.peakRss.method) : unavailable('bytes', why || 'the runner did not report memory');
  const rssBeforeLoadBytes: Metric = loaded ? measured(loaded.rssBeforeLoad.bytes, 'bytes', loaded.rssBeforeLoad.method) : unavailable('bytes', why || 'the model was not loaded');
  const modelRssBytes: Metric =
    memory && loaded
      ? measured(Math.max(0, memory.peakRss.bytes - loaded.rssBeforeLoad.bytes), 'bytes', `${memory.peakRss.method} minus ${loaded.rssBeforeLoad.method} before InferenceSession.create`)
      : unavailable('bytes', why || 'the runner did not report memory');

  return {
    deviceId: input.deviceId,
    variant: input.variant,
    status: error ? 'failed' : 'ok',
    ...(error ? { error } : {}),
    startedAt: input.startedAt.toISOString(),
    finishedAt: input.finishedAt.toISOString(),
    ...(hello ? { runtime: { node: hello.node, onnxruntime: hello.onnxruntime, platform: hello.platform, arch: hello.arch } } : {}),
    warmupLatenciesMs: all('samples').filter((e) => e.phase === 'warmup').flatMap((e) => e.latenciesMs),
    samples,
    outputs: all('output').map(({ exampleId, output }) => {
      const answer = input.answerOf?.(output);
      return { exampleId, output, ...(answer !== undefined ? { answer } : {}) };
    }),
    metrics: {
      latencyMs,
      loadMs,
      peakRssBytes,
      rssBeforeLoadBytes,
      modelRssBytes,
      diskBytes: measured(input.variant.diskBytes, 'bytes', 'sum of the sizes of the variant files (the .onnx file and its external data)'),
      ...generationMetrics(samples, why),
    },
  };
}

function samplesOf(batches: EventOf<'samples'>[]): CellResult['samples'] {
  return batches.flatMap((batch) =>
    batch.latenciesMs.map((latencyMs, k) => ({
      iteration: batch.firstIteration + k,
      exampleId: batch.exampleIds[k]!,
      latencyMs,
      ...(batch.ttftMs ? { ttftMs: batch.ttftMs[k]!, decodeMs: batch.decodeMs?.[k] ?? [] } : {}),
    })),
  );
}

/** Time to first token, per-token decode latency and decode throughput, for cells of the generate task. */
function generationMetrics(samples: CellResult['samples'], failure: string): Partial<CellResult['metrics']> {
  if (!samples.some((s) => s.ttftMs !== undefined)) return {};
  if (failure) {
    const reason = { source: 'unavailable', unit: 'ms', reason: failure } as const;
    return { ttftMs: reason, decodeTokenMs: reason, decodeTokensPerSecond: { source: 'unavailable', unit: 'tokens/s', reason: failure } };
  }
  const ttft = samples.map((s) => s.ttftMs!);
  const steps = samples.flatMap((s) => s.decodeMs ?? []);
  const method = 'process.hrtime.bigint() around each session.run of the greedy decode loop (including the argmax that picks the token)';
  const decodeTotalMs = steps.reduce((sum, ms) => sum + ms, 0);
  return {
    ttftMs: { source: 'measured', unit: 'ms', method: `${method}: the prefill run`, summary: summarize(ttft) },
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

/** Why a runner did not finish, in words an operator can act on; undefined when it did. */
function failureOf(outcome: RunnerOutcome, timeoutMs: number): { code: string; message: string } | undefined {
  const reported = outcome.events.find((e): e is EventOf<'error'> => e.type === 'error');
  const done = outcome.events.some((e) => e.type === 'done');
  if (outcome.canceled) return { code: 'INTERRUPTED', message: 'the run was interrupted (Ctrl-C or SIGTERM) while this cell was running' };
  if (outcome.timedOut) return { code: 'TIMEOUT', message: `the cell did not finish within ${timeoutMs / 1000} s (raise timeoutSeconds in the suite if the model is this slow)` };
  if (reported) return { code: reported.code, message: reported.message };
  if (outcome.signal) {
    const hint = outcome.signal === 'SIGKILL' ? ' (often the kernel OOM killer: the variant needs more memory than the device has)' : '';
    return { code: 'RUNNER_KILLED', message: `the runner was killed by ${outcome.signal}${hint}` };
  }
  if (outcome.exitCode !== 0) return { code: 'RUNNER_EXITED', message: `the runner exited with code ${outcome.exitCode}: ${lastLines(outcome.stderrTail)}` };
  if (!done) return { code: 'RUNNER_INCOMPLETE', message: `the runner exited without finishing its protocol${outcome.strayLines.length ? `; unexpected output: ${outcome.strayLines[0]}` : ''}` };
  return undefined;
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-3).join(' | ') || '(no output on stderr)';
}
