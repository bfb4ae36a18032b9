import { randomBytes } from 'node:crypto';
import { join, relative } from 'node:path';
import type { DeviceSpec } from './config/device-spec.ts';
import { driverFor } from './devices/registry.ts';
import type { PlannedVariant, RunPlan } from './plan/plan.ts';
import type { ExampleOutput, RunnerJob } from './runner/protocol.ts';
import { scheduleRuns } from './plan/schedule.ts';
import { cellResult, type RunnerRun } from './results/cell-result.ts';
import { scoreCells } from './scoring/score-cells.ts';
import { EXAMPLE_INPUT_CHARS, RESULTS_SCHEMA_VERSION, type CellResult, type Results } from './results/schema.ts';
import { writeResults } from './results/write-results.ts';
import { TOOL_VERSION } from './version.ts';

/** Where a runner process stands in the run: its place among all processes, and which repeat of its cell it is. */
export interface RunPosition {
  index: number;
  total: number;
  repeat: number;
  repeats: number;
}

export interface RunProgress {
  deviceSkipped?(device: DeviceSpec, reason: string): void;
  cellStarted?(device: DeviceSpec, variant: PlannedVariant, position: RunPosition): void;
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
 * per cell in the order scheduleRuns gives. results.json is rewritten
 * atomically after every process, so whatever was measured survives a crash or Ctrl-C.
 */
export async function executePlan(fullPlan: RunPlan, options: { outDir: string; runId?: string; signal?: AbortSignal; progress?: RunProgress; repeats?: number; ab?: { a: string; b: string; rounds: number } }): Promise<RunOutput> {
  const runId = options.runId ?? newRunId();
  // Optional devices that are not available now are left out, with the reason recorded.
  const skipped = new Map<string, string>();
  for (const device of fullPlan.devices) {
    const reason = device.optional ? await driverFor(device).unavailable?.(device) : undefined;
    if (reason) {
      skipped.set(device.id, reason);
      options.progress?.deviceSkipped?.(device, reason);
    }
  }
  const plan = { ...fullPlan, devices: fullPlan.devices.filter((d) => !skipped.has(d.id)) };
  const resultsFile = join(options.outDir, runId, 'results.json');
  const { suite } = plan;
  const repeats = options.ab?.rounds ?? options.repeats ?? suite.repeats;
  const results: Results = {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    tool: { name: 'edgebench', version: TOOL_VERSION },
    runId,
    status: 'running',
    startedAt: new Date().toISOString(),
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
    devices: await Promise.all(fullPlan.devices.map(async (device) => (skipped.has(device.id) ? { id: device.id, kind: device.kind, ...(device.class ? { class: device.class } : {}), skipped: skipped.get(device.id)! } : deviceRecord(device)))),
    ...(options.ab ? { ab: options.ab } : {}),
    examples: exampleRecords(plan),
    cells: [],
  };
  await writeResults(resultsFile, results);

  const order = scheduleRuns(plan, { repeats, seed: runId, ...(options.ab ? { ab: options.ab } : {}) });
  const runsOf = new Map<string, RunnerRun[]>();
  const cells = new Map<string, CellResult>();
  // Cells keep the plan's device x variant order, whatever order their processes ran in.
  const cellKeys = plan.devices.flatMap((device) => plan.variants.map((variant) => `${device.id}\u0000${variant.variant.name}`));
  const timeoutMs = suite.timeoutSeconds * 1000;
  for (const [index, { device, variant, repeat }] of order.entries()) {
    if (options.signal?.aborted) break;
    const key = `${device.id}\u0000${variant.variant.name}`;
    // A cell that failed once (model does not load, OOM, timeout) is not run again: its failure is the result.
    if (cells.get(key)?.status === 'failed') continue;
    options.progress?.cellStarted?.(device, variant, { index, total: order.length, repeat, repeats });
    const job: RunnerJob = { modelPath: variant.modelPath, task: plan.task.spec, warmup: suite.warmup, iterations: suite.iterations, runtime: suite.runtime, examples: variant.examples };
    const startedAt = new Date();
    const outcome = await driverFor(device).runCell(device, job, { timeoutMs, signal: options.signal });
    const runs = [...(runsOf.get(key) ?? []), { startedAt, finishedAt: new Date(), outcome }];
    runsOf.set(key, runs);
    const cell = cellResult({ deviceId: device.id, variant: variant.variant, runs, timeoutMs, answerOf: answerReader(plan) });
    cells.set(key, cell);
    results.cells = cellKeys.flatMap((k) => cells.get(k) ?? []);
    await writeResults(resultsFile, results);
    options.progress?.cellFinished?.(cell, { index, total: order.length, repeat, repeats });
  }

  // Scoring needs every variant of a device (the reference among them), so it runs once all cells have.
  for (const [cell, quality] of scoreCells(results.cells, { suite, dataset: plan.dataset, baselineAnswers: plan.baselineAnswers })) cell.quality = quality;
  results.status = options.signal?.aborted ? 'interrupted' : 'complete';
  results.finishedAt = new Date().toISOString();
  await writeResults(resultsFile, results);
  return { results, resultsFile };
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
