import { randomBytes } from 'node:crypto';
import { dirname, join, relative } from 'node:path';
import type { DeviceSpec } from './core/device-spec.ts';
import { driverFor } from './devices/registry.ts';
import type { PlannedVariant, RunPlan } from './plan/plan.ts';
import type { ExampleOutput, RunnerEvent, RunnerJob } from './core/runner-protocol.ts';
import { startProbes } from './probes/sampler.ts';
import { ThermalGatekeeper } from './probes/thermal-gate.ts';
import { scheduleRuns, type ScheduledRun } from './plan/schedule.ts';
import { claimsOf } from './schedule/claims.ts';
import { runScheduled } from './schedule/scheduler.ts';
import { devicesOfShard, type Shard } from './plan/shard.ts';
import { variantChanged } from './plan/verify-variant.ts';
import { notRunOutcome, type RunnerOutcome } from './runner/spawn.ts';
import { cellResult, failureOf, type RunnerRun } from './results/cell-result.ts';
import { fingerprintChanges, Journal, JOURNAL_FILE, RunWriteError, type JournaledRun, type ReadJournal, type RunFingerprint } from './results/journal.ts';
import { sha256Text } from './files/hash.ts';
import { ConfigError } from './config/errors.ts';
import { OutputWriteError } from './files/write-error.ts';
import { scoreCells } from './scoring/score-cells.ts';
import { EXAMPLE_INPUT_CHARS, RESULTS_SCHEMA_VERSION, type CellResult, type Results } from './core/results.ts';
import { resultsWriter } from './results/write-results.ts';
import { percentileOfSorted, sortAscending } from './stats/percentile.ts';
import { TOOL_VERSION } from './version.ts';
import type { RunSchedule } from './schedule/run-schedule.ts';

/** Where a runner process stands in the run: its place among the processes started (devices run side by side), and which repeat of its cell it is. */
export interface RunPosition {
  index: number;
  total: number;
  repeat: number;
  repeats: number;
}

export interface RunProgress {
  deviceSkipped?(device: DeviceSpec, reason: string): void;
  /** Before the first process: the device of every process still to run, and how devices share the machine (for an ETA). */
  scheduled?(schedule: RunSchedule): void;
  cellStarted?(device: DeviceSpec, variant: PlannedVariant, position: RunPosition): void;
  /** A process left out: its cell already failed, and a failure is not run again. */
  processSkipped?(device: DeviceSpec, variant: PlannedVariant, repeat: number): void;
  /** A runner process the device lost, about to be run again. */
  attemptLost?(device: DeviceSpec, variant: PlannedVariant, failure: { code: string; message: string }, retry: { attempt: number; retries: number }): void;
  /** After each runner process, with the cell as measured so far. */
  cellFinished?(cell: CellResult, position: RunPosition): void;
}

export interface RunOutput {
  results: Results;
  resultsFile: string;
}

/** A sortable, unique run id: UTC time plus a random suffix. */
export function newRunId(now = new Date()): string {
  return `${now.toISOString().replace(/[:.]/g, '-').replace(/-\d{3}Z$/, 'Z')}-${randomBytes(2).toString('hex')}`;
}

/**
 * Runs every device x variant cell of a plan, `repeats` fresh runner processes
 * per cell. Devices run side by side, one process at a time each, in the order
 * scheduleRuns gives; devices that compute on this machine's cores take turns
 * (claimsOf says who holds what). Every runner event is appended to
 * the run's journal as it arrives, and results.json is rewritten atomically
 * after every process, so whatever was measured survives a crash or Ctrl-C.
 * With `resume` (the journal of an unfinished run), the processes it holds are
 * kept and only the rest run, in the journal's folder (wherever it was moved:
 * the run keeps its id, and never writes to another run's folder); a run whose
 * suite, devices or variants changed since is refused.
 */
export async function executePlan(
  fullPlan: RunPlan,
  options: { outDir: string; runId?: string; signal?: AbortSignal; progress?: RunProgress; repeats?: number; ab?: { a: string; b: string; rounds: number }; resume?: ReadJournal; shard?: Shard },
): Promise<RunOutput> {
  const runId = options.resume?.header.runId ?? options.runId ?? newRunId();
  const repeats = options.ab?.rounds ?? options.repeats ?? fullPlan.suite.repeats;
  // A shard runs its part of the device list; `merge` puts the parts back together.
  const shardDevices = options.shard ? devicesOfShard(fullPlan, options.shard, repeats) : fullPlan.devices;
  // Optional devices that are not available now are left out, with the reason recorded.
  const skipped = new Map<string, string>();
  for (const device of shardDevices) {
    const reason = device.optional ? await driverFor(device).unavailable?.(device) : undefined;
    if (reason) {
      skipped.set(device.id, reason);
      options.progress?.deviceSkipped?.(device, reason);
    }
  }
  const plan = { ...fullPlan, devices: shardDevices.filter((d) => !skipped.has(d.id)) };
  const runDir = options.resume ? dirname(options.resume.file) : join(options.outDir, runId);
  const resultsFile = join(runDir, 'results.json');
  const { suite } = plan;
  const fingerprint = fingerprintOf(fullPlan, repeats, options.ab, options.shard);
  const journalFile = join(runDir, JOURNAL_FILE);
  const startedAt = options.resume?.header.startedAt ?? new Date().toISOString();
  let journal: Journal;
  if (options.resume) {
    const changes = fingerprintChanges(options.resume.header.fingerprint, fingerprint);
    if (changes.length) throw new ConfigError(journalFile, 'fingerprint', `run ${runId} cannot be resumed: ${changes.join('; ')}`, 'start a new run (measurements of different models or settings do not mix), or restore what changed');
    journal = Journal.reopen(journalFile, options.resume);
  } else {
    try {
      journal = Journal.create(journalFile, { type: 'run', runId, startedAt, fingerprint });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new OutputWriteError(journalFile, error as Error);
      throw new ConfigError('command line', '--run-id', `run folder ${runDir} already holds a run`, `resume it with --resume ${runDir}, or choose another --run-id`);
    }
  }
  const results: Results = {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    tool: { name: 'edgebench', version: TOOL_VERSION },
    runId,
    status: 'running',
    startedAt,
    suite: {
      name: suite.name,
      file: relative(process.cwd(), plan.suiteFile),
      task: suite.task,
      warmup: suite.warmup,
      iterations: suite.iterations,
      repeats,
      timeoutSeconds: suite.timeoutSeconds,
      runtime: suite.runtime,
      dataset: { file: relative(process.cwd(), plan.dataset.file), sha256: plan.dataset.sha256, examples: plan.dataset.examples.length },
      budgets: suite.budgets,
      compare: suite.compare,
    },
    devices: await Promise.all(shardDevices.map(async (device) => (skipped.has(device.id) ? { id: device.id, kind: device.kind, ...(device.class ? { class: device.class } : {}), skipped: skipped.get(device.id)! } : deviceRecord(device)))),
    ...(options.shard ? { shard: { ...options.shard, devices: fullPlan.devices.map((d) => d.id) } } : {}),
    ...(options.ab ? { ab: options.ab } : {}),
    examples: exampleRecords(plan),
    cells: [],
  };
  // One writer for the run's results.json, so no two writes ever overlap.
  // The run's folder holds its journal: one removed mid-run is not made again, the run stops and says so.
  const write = resultsWriter(resultsFile, { createFolder: false });
  await write.flush(results).catch((error: Error) => {
    throw new RunWriteError(runDir, error);
  });

  const order = scheduleRuns(plan, { repeats, seed: runId, ...(options.ab ? { ab: options.ab } : {}) });
  const runsOf = new Map<string, RunnerRun[]>();
  const cells = new Map<string, CellResult>();
  // Cells keep the plan's device x variant order, whatever order their processes ran in.
  const cellKeys = plan.devices.flatMap((device) => plan.variants.map((variant) => `${device.id}\u0000${variant.variant.name}`));
  const timeoutMs = suite.timeoutSeconds * 1000;
  // Before each runner process: the suite's cooldown and thermal gate; beside it: the device's probes.
  const thermal = new ThermalGatekeeper(suite.thermal);
  const measure = (device: DeviceSpec, variant: PlannedVariant, runs: RunnerRun[]) => {
    const key = `${device.id}\u0000${variant.variant.name}`;
    runsOf.set(key, runs);
    const cell = cellResult({ deviceId: device.id, variant: variant.variant, runs, timeoutMs, answerOf: answerReader(plan) });
    cells.set(key, cell);
    results.cells = cellKeys.flatMap((k) => cells.get(k) ?? []);
    return cell;
  };
  // A resumed run starts from the processes its journal holds in full. A repeat whose last attempt the device
  // lost is run again; the attempts lost before are kept on it.
  const done = new Set<string>();
  const lostBefore = new Map<string, { code: string; message: string }[]>();
  for (const device of plan.devices) {
    for (const variant of plan.variants) {
      const journaled = (options.resume?.completed ?? []).filter((r) => r.device === device.id && r.variant === variant.variant.name);
      const byRepeat = new Map<number, JournaledRun[]>();
      for (const run of journaled) byRepeat.set(run.repeat, [...(byRepeat.get(run.repeat) ?? []), run]);
      const kept: RunnerRun[] = [];
      for (const [repeat, attempts] of [...byRepeat].sort(([x], [y]) => x - y)) {
        const last = attempts.at(-1)!;
        // Only attempts the device lost are lost attempts; others before the last (a timeout run again) are superseded, and stay in the journal.
        const lost = attempts.filter((a) => lostByDevice(a.outcome)).map((a) => a.outcome.deviceFailure!);
        const key = processKey({ device: device.id, variant: variant.variant.name, repeat });
        if (lostByDevice(last.outcome)) lostBefore.set(key, lost);
        else if (RUN_AGAIN_ON_RESUME.has(failureOf(last.outcome, timeoutMs)?.code ?? '')) continue;
        else {
          kept.push({ startedAt: last.startedAt, finishedAt: last.finishedAt, outcome: last.outcome, ...(last.probes ? { probes: last.probes } : {}), ...(lost.length ? { lostAttempts: lost } : {}) });
          done.add(key);
        }
      }
      if (kept.length) measure(device, variant, kept);
    }
  }
  // Results are kept on disk after every process; a write that fails stops the run the way a failed journal write does.
  const save = () => write(results).catch((error: Error) => journal.fail(error));
  const stop = options.signal ? AbortSignal.any([options.signal, journal.failed]) : journal.failed;
  if (options.resume) await save();

  // Devices run side by side, one process each; those that share this machine's cores are kept apart (scheduling in devices.yaml).
  const { claims, capacity, record: policy } = claimsOf(plan.devices, plan.scheduling);
  results.scheduling = policy;
  const todo = order.filter(({ device, variant, repeat }) => !done.has(processKey({ device: device.id, variant: variant.variant.name, repeat })));
  options.progress?.scheduled?.({ processes: todo.map(({ device }) => device.id), scheduling: policy, resourcesOf: (id) => claims.get(id)?.resources ?? [], capacity });
  const overheads: number[] = [];
  const recordings: number[] = [];
  let started = 0;
  const runProcess = async ({ device, variant, repeat }: ScheduledRun) => {
    const dispatchedAt = performance.now();
    let outsideMs = 0;
    const timeOutside = async <T>(work: () => Promise<T>): Promise<T> => {
      const began = performance.now();
      try {
        return await work();
      } finally {
        outsideMs += performance.now() - began;
      }
    };
    const key = `${device.id}\u0000${variant.variant.name}`;
    const where = { device: device.id, variant: variant.variant.name, repeat };
    // A cell that failed once (model does not load, OOM, timeout) is not run again: its failure is the result.
    if (cells.get(key)?.status === 'failed') return options.progress?.processSkipped?.(device, variant, repeat);
    const position = { index: started++, total: todo.length, repeat, repeats };
    options.progress?.cellStarted?.(device, variant, position);
    const job: RunnerJob = { modelPath: variant.modelPath, task: plan.task.spec, warmup: suite.warmup, iterations: suite.iterations, runtime: suite.runtime, examples: variant.examples };
    const lostAttempts = lostBefore.get(processKey(where)) ?? [];
    let run: RunnerRun;
    for (;;) {
      const gate = await timeOutside(() => thermal.beforeRunnerProcess(device, stop));
      const startedAt = new Date();
      const attempt = journal.start(where, startedAt);
      // A variant that cannot run (broken on disk, or changed since the plan) is refused without starting a runner.
      const refused = variant.problem ?? (await variantChanged(variant).then((message) => message && { code: 'MODEL_CHANGED', message }));
      const sampling = await startProbes(device);
      const onEvent = (event: RunnerEvent) => {
        journal.event(attempt, event);
        sampling.onEvent(event);
      };
      const outcome = refused ? notRunOutcome(refused.code, refused.message) : await timeOutside(() => driverFor(device).runCell(device, job, { timeoutMs, signal: stop, onEvent }));
      const probes = { ...(await sampling.stop()), gate };
      const finishedAt = new Date();
      journal.end({ ...where, attempt }, finishedAt, outcome, probes);
      run = { startedAt, finishedAt, outcome, probes, ...(lostAttempts.length ? { lostAttempts: [...lostAttempts] } : {}) };
      // The device, not the model, ended it: run it again, up to the suite's retries, and say so.
      if (!lostByDevice(outcome) || lostAttempts.length >= suite.retries || stop.aborted) break;
      lostAttempts.push(outcome.deviceFailure!);
      options.progress?.attemptLost?.(device, variant, outcome.deviceFailure!, { attempt: lostAttempts.length, retries: suite.retries });
    }
    if (journal.writeError) return;
    run.overheadMs = performance.now() - dispatchedAt - outsideMs;
    overheads.push(run.overheadMs);
    const recordingFrom = performance.now();
    const cell = measure(device, variant, [...(runsOf.get(key) ?? []), run]);
    // Not awaited: the journal already holds the process durably, and the device need not wait for the file.
    void save();
    recordings.push(performance.now() - recordingFrom);
    options.progress?.cellFinished?.(cell, position);
  };
  const schedulerStats = await runScheduled(todo, {
    resourcesOf: ({ device }) => claims.get(device.id)!.resources,
    capacity,
    run: runProcess,
    stopped: () => stop.aborted,
  });
  results.scheduling = { ...policy, peakConcurrency: schedulerStats.peakConcurrency, ...(overheads.length ? { overhead: { perProcessMs: msSummary(overheads), recordMs: msSummary(recordings), dispatchMs: msSummary(schedulerStats.dispatchMs) } } : {}) };
  if (journal.writeError) throw new RunWriteError(runDir, journal.writeError);

  // Connections kept open across cells (SSH masters) are closed before scoring, which needs no device.
  await Promise.all(fullPlan.devices.map(async (device) => driverFor(device).release?.(device)));

  // Scoring needs every variant of a device (the reference among them), so it runs once all cells have.
  for (const [cell, quality] of scoreCells(results.cells, { suite, dataset: plan.dataset, baselineAnswers: plan.baselineAnswers })) cell.quality = quality;
  results.status = options.signal?.aborted ? 'interrupted' : 'complete';
  results.finishedAt = new Date().toISOString();
  await write.flush(results).catch((error: Error) => {
    throw new RunWriteError(runDir, error);
  });
  return { results, resultsFile };
}

/**
 * Failures a resume runs again: they say something about the machine or the
 * run (killed from outside, hung, stopped, the model file changed and was
 * restored), not about the variant. A model that does not load, or runs out
 * of memory under a cap, fails the same way every time: that is its result.
 */
const RUN_AGAIN_ON_RESUME = new Set(['INTERRUPTED', 'DEVICE_UNAVAILABLE', 'RUNNER_KILLED', 'RUNNER_INCOMPLETE', 'TIMEOUT', 'MODEL_CHANGED']);

/** An infrastructure failure: the browser, session, server or connection died, not the model. */
const lostByDevice = (outcome: RunnerOutcome) => outcome.deviceFailure?.code === 'DEVICE_LOST' && !outcome.canceled;

const msSummary = (values: number[]) => {
  const sorted = sortAscending(values);
  return { n: sorted.length, p50: percentileOfSorted(sorted, 0.5), max: sorted.at(-1) ?? 0 };
};

const processKey = (run: { device: string; variant: string; repeat: number }) => `${run.device}\u0000${run.variant}\u0000${run.repeat}`;

/** What the run measures, for the journal: a resume must measure the same. */
function fingerprintOf(plan: RunPlan, repeats: number, ab: { a: string; b: string; rounds: number } | undefined, shard: Shard | undefined): RunFingerprint {
  return {
    suiteFile: relative(process.cwd(), plan.suiteFile),
    devicesFile: relative(process.cwd(), plan.devicesFile),
    ...(plan.deviceIds ? { deviceIds: plan.deviceIds } : {}),
    suiteSha256: sha256Text(JSON.stringify(plan.suite)),
    devicesSha256: sha256Text(JSON.stringify(plan.devices)),
    datasetSha256: plan.dataset.sha256,
    variants: Object.fromEntries(plan.variants.map((v) => [v.variant.name, v.variant.sha256])),
    repeats,
    ...(ab ? { ab } : {}),
    ...(shard ? { shard } : {}),
  };
}

/** Puts a runner output in words: the class label, or the decoded generated text. */
export function answerReader(plan: Pick<RunPlan, 'task'>): (output: ExampleOutput) => string | undefined {
  return (output) => {
    if (output.kind === 'classify') return plan.task.labels?.[output.classIndex] ?? String(output.classIndex);
    if (output.kind === 'generate') return plan.task.tokenizer?.decode(output.tokenIds);
    return undefined;
  };
}

function exampleRecords(plan: RunPlan): NonNullable<Results['examples']> {
  const cut = (text: string) => (text.length > EXAMPLE_INPUT_CHARS ? `${text.slice(0, EXAMPLE_INPUT_CHARS - 1)}…` : text);
  return plan.dataset.examples.map((example) => {
    const label = example.fields.label;
    const baseline = plan.baselineAnswers?.get(example.id);
    return {
      id: example.id,
      input: cut(example.text ?? JSON.stringify(example.inputs ?? {})),
      ...(typeof label === 'string' ? { label } : {}),
      ...(baseline !== undefined ? { baseline } : {}),
    };
  });
}

async function deviceRecord(device: DeviceSpec): Promise<Results['devices'][number]> {
  const base = { id: device.id, kind: device.kind, ...(device.class ? { class: device.class } : {}) };
  try {
    return { ...base, facts: await driverFor(device).facts(device) };
  } catch (error) {
    return { ...base, factsError: (error as Error).message };
  }
}
