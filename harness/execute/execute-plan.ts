import { dirname, join } from 'node:path';
import type { Results } from '../core/results.ts';
import type { RunPlan } from '../plan/plan.ts';
import { scheduleRuns, type ScheduledRun } from '../plan/schedule.ts';
import type { Shard } from '../plan/shard.ts';
import { RunWriteError, type ReadJournal } from '../results/journal.ts';
import { driverFor } from '../devices/registry.ts';
import { devicesToRun } from './devices-to-run.ts';
import { fingerprintOf } from './fingerprint.ts';
import { finishResults } from './finish-results.ts';
import { MeasuredCells } from './measured-cells.ts';
import { openJournal } from './open-journal.ts';
import { scheduledKey } from './process-key.ts';
import { resultsHeader } from './results-header.ts';
import { runResultsFile } from './results-file.ts';
import { repeatPolicy } from './repeat-stop.ts';
import { resumedRuns } from './resume.ts';
import { newRunId } from './run-id.ts';
import { runProcesses } from './run-processes.ts';
import type { RunProgress } from './run-progress.ts';
import type { SequentialSettings } from '../compare/sequential-verdict.ts';
import { SequentialStopping } from './sequential-stop.ts';

export interface ExecuteOptions {
  outDir: string;
  runId?: string;
  signal?: AbortSignal;
  progress?: RunProgress;
  repeats?: number;
  ab?: { a: string; b: string; rounds: number };
  /** With ab: run a round's two processes side by side, taking turns iteration by iteration, where the device can (runner/turn-taking.ts). */
  turns?: boolean;
  /** With ab: after the first round, run each round's two variants in one process, their iterations alternated, where the device can (runner/paired-round.ts). */
  paired?: boolean;
  /** With ab: stop a device's rounds once an anytime-valid test decides (ab.rounds is then the most). */
  sequential?: SequentialSettings & { threshold?: number };
  /** The journal of an unfinished run, to finish. */
  resume?: ReadJournal;
  shard?: Shard;
}

export interface RunOutput {
  results: Results;
  resultsFile: string;
}

/** The way a run's A/B rounds run, as its journal records it: --turns wins over --paired, as in the rounds themselves. */
function pairingOf(options: { turns?: boolean; paired?: boolean }): { pairing?: 'turns' | 'paired' } {
  return options.turns ? { pairing: 'turns' } : options.paired ? { pairing: 'paired' } : {};
}

/**
 * Runs every device x variant cell of a plan, up to `repeats` fresh runner
 * processes per cell: a plain run stops adding processes to a cell once its p50
 * is as precise as the suite asks (adaptive repeats, repeat-stop.ts). Devices run side by side, one process at a time each, in the order
 * scheduleRuns gives; devices that compute on this machine's cores take turns.
 * Every runner event is appended to the run's journal as it arrives, and
 * results.json is rewritten atomically after every process, so whatever was
 * measured survives a crash or Ctrl-C. With `resume` (the journal of an
 * unfinished run), the processes it holds are kept and only the rest run, in
 * the journal's folder (wherever it was moved: the run keeps its id, and never
 * writes to another run's folder); a run whose suite, devices or variants
 * changed since is refused.
 */
export async function executePlan(fullPlan: RunPlan, options: ExecuteOptions): Promise<RunOutput> {
  const { resume, progress, signal, ab, shard } = options;
  const runId = resume?.header.runId ?? options.runId ?? newRunId();
  const repeats = ab?.rounds ?? options.repeats ?? fullPlan.suite.repeats;
  const toRun = await devicesToRun(fullPlan, { repeats, shard, progress });
  const { plan } = toRun;
  const runDir = resume ? dirname(resume.file) : join(options.outDir, runId);
  const startedAt = resume?.header.startedAt ?? new Date().toISOString();
  const journal = openJournal(runDir, {
    runId,
    startedAt,
    fingerprint: fingerprintOf(fullPlan, { repeats, ab: ab && { ...ab, ...pairingOf(options) }, shard }),
    resume,
  });
  const policy = repeatPolicy(fullPlan.suite.adaptiveRepeats, fullPlan.suite.compare.threshold, repeats, ab !== undefined);
  // The devices whose rounds take turns: decided once, recorded in results.ab and followed by runProcesses.
  const turnsOn = ab && options.turns ? plan.devices.filter((device) => driverFor(device).takesTurns).map((device) => device.id) : [];
  const pairedOn = ab && options.paired && !options.turns ? plan.devices.filter((device) => driverFor(device).pairsRounds).map((device) => device.id) : [];
  const abRecord = ab && { ...ab, ...(turnsOn.length > 0 ? { turnsOn } : {}), ...(pairedOn.length > 0 ? { pairedOn } : {}) };
  const results = await resultsHeader(fullPlan, toRun, { runId, startedAt, repeats, policy, ab: abRecord, shard });
  const file = runResultsFile(runDir, journal);
  await file.flush(results);

  const order = scheduleRuns(plan, { repeats, seed: runId, ab });
  const cells = new MeasuredCells(plan, results, policy);
  const resumed = resumedRuns(plan, resume?.completed ?? [], plan.suite.timeoutSeconds * 1000);
  for (const { device, variant, runs } of resumed.kept) cells.measure(device, variant, runs);
  const save = () => file.save(results);
  const stop = signal ? AbortSignal.any([signal, journal.failed]) : journal.failed;
  if (resume) await save();

  const todo = order.filter((run) => !resumed.done.has(scheduledKey(run)));
  const stopping = abRecord && options.sequential ? new SequentialStopping(plan, results, abRecord, options.sequential) : undefined;
  const observed: RunProgress | undefined = stopping
    ? {
        ...progress,
        cellFinished: (cell, position) => {
          stopping.observe(cell);
          progress?.cellFinished?.(cell, position);
        },
      }
    : progress;
  await runProcesses(todo, results, {
    plan,
    cells,
    journal,
    stop,
    repeats,
    lostBefore: resumed.lostBefore,
    save,
    turnsOn: new Set(turnsOn),
    pairedOn: new Set(pairedOn),
    progress: observed,
    ...(stopping ? { skip: (run: ScheduledRun) => stopping.skip(run) } : {}),
  });
  if (journal.writeError) throw new RunWriteError(runDir, journal.writeError);
  await finishResults(results, { fullPlan, plan, file, signal });
  return { results, resultsFile: file.path };
}
