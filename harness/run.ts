import { randomBytes } from 'node:crypto';
import { join, relative } from 'node:path';
import type { DeviceSpec } from './config/device-spec.ts';
import { driverFor } from './devices/registry.ts';
import type { PlannedVariant, RunPlan } from './plan/plan.ts';
import type { ExampleOutput, RunnerJob } from './runner/protocol.ts';
import { cellResult } from './results/cell-result.ts';
import { scoreCells } from './scoring/score-cells.ts';
import { RESULTS_SCHEMA_VERSION, type CellResult, type Results } from './results/schema.ts';
import { writeResults } from './results/write-results.ts';
import { TOOL_VERSION } from './version.ts';

export interface RunProgress {
  cellStarted?(device: DeviceSpec, variant: PlannedVariant, index: number, total: number): void;
  cellFinished?(cell: CellResult, index: number, total: number): void;
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
 * Runs every device x variant cell of a plan, one runner process per cell.
 * results.json is rewritten atomically after every cell, so whatever was
 * measured survives a crash or Ctrl-C.
 */
export async function executePlan(plan: RunPlan, options: { outDir: string; runId?: string; signal?: AbortSignal; progress?: RunProgress; ab?: { a: string; b: string; rounds: number } }): Promise<RunOutput> {
  const runId = options.runId ?? newRunId();
  const resultsFile = join(options.outDir, runId, 'results.json');
  const { suite } = plan;
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
      timeoutSeconds: suite.timeoutSeconds,
      runtime: suite.runtime,
      dataset: { file: relative(process.cwd(), plan.dataset.file), sha256: plan.dataset.sha256, examples: plan.dataset.examples.length },
      budgets: suite.budgets,
      compare: suite.compare,
    },
    devices: await Promise.all(plan.devices.map(deviceRecord)),
    ...(options.ab ? { ab: options.ab } : {}),
    cells: [],
  };
  await writeResults(resultsFile, results);

  const cells = options.ab ? interleaved(plan, options.ab) : plan.devices.flatMap((device) => plan.variants.map((variant) => ({ device, variant, round: undefined })));
  const timeoutMs = suite.timeoutSeconds * 1000;
  for (const [index, { device, variant, round }] of cells.entries()) {
    if (options.signal?.aborted) break;
    options.progress?.cellStarted?.(device, variant, index, cells.length);
    const job: RunnerJob = { modelPath: variant.modelPath, task: plan.task.spec, warmup: suite.warmup, iterations: suite.iterations, runtime: suite.runtime, examples: variant.examples };
    const startedAt = new Date();
    const outcome = await driverFor(device).runCell(device, job, { timeoutMs, signal: options.signal });
    const cell = cellResult({ deviceId: device.id, variant: variant.variant, startedAt, finishedAt: new Date(), outcome, timeoutMs, answerOf: answerReader(plan) });
    if (round !== undefined) cell.round = round;
    results.cells.push(cell);
    await writeResults(resultsFile, results);
    options.progress?.cellFinished?.(cell, index, cells.length);
  }

  // Scoring needs every variant of a device (the reference among them), so it runs once all cells have.
  for (const [cell, quality] of scoreCells(results.cells, { suite, dataset: plan.dataset, baselineAnswers: plan.baselineAnswers })) cell.quality = quality;
  results.status = options.signal?.aborted ? 'interrupted' : 'complete';
  results.finishedAt = new Date().toISOString();
  await writeResults(resultsFile, results);
  return { results, resultsFile };
}

/**
 * A and B alternate on each device, round after round, the order flipping every
 * round (AB, BA, AB, ...), so drift of the machine (heat, background load) hits
 * both variants equally and compare can pair the rounds.
 */
function interleaved(plan: RunPlan, ab: { a: string; b: string; rounds: number }) {
  const pick = (name: string) => plan.variants.find((v) => v.variant.name === name)!;
  return plan.devices.flatMap((device) =>
    Array.from({ length: ab.rounds }, (_, r) => (r % 2 === 0 ? [ab.a, ab.b] : [ab.b, ab.a]).map((name) => ({ device, variant: pick(name), round: r + 1 }))).flat(),
  );
}

/** Puts a runner output in words: the class label, or the decoded generated text. */
export function answerReader(plan: Pick<RunPlan, 'task'>): (output: ExampleOutput) => string | undefined {
  return (output) => {
    if (output.kind === 'classify') return plan.task.labels?.[output.classIndex] ?? String(output.classIndex);
    if (output.kind === 'generate') return plan.task.tokenizer?.decode(output.tokenIds);
    return undefined;
  };
}

async function deviceRecord(device: DeviceSpec): Promise<Results['devices'][number]> {
  const base = { id: device.id, kind: device.kind, ...(device.class ? { class: device.class } : {}) };
  try {
    return { ...base, facts: await driverFor(device).facts(device) };
  } catch (error) {
    return { ...base, factsError: (error as Error).message };
  }
}
