import type { RunnerJob } from '../core/runner-protocol.ts';
import { cellRuntimeOptions } from '../plan/cell-runtimes.ts';
import type { RunPlan } from '../plan/plan.ts';
import type { ScheduledRun } from '../plan/schedule.ts';
import type { MeasuredCells } from './measured-cells.ts';
import { OverheadLog, ProcessClock } from './overhead.ts';
import { scheduledKey } from './process-key.ts';
import { runAttempts, type AttemptContext } from './run-attempts.ts';
import { runPairedAttempt } from './run-paired-attempt.ts';
import { lostByDevice } from './lost-by-device.ts';
import type { RunnerRun } from '../results/cell-result.ts';
import type { TurnSeat } from '../runner/turn-taking.ts';

export interface ProcessContext extends AttemptContext {
  plan: RunPlan;
  cells: MeasuredCells;
  /** Attempts a resumed run's journal holds as lost, by processKey. */
  lostBefore: ReadonlyMap<string, readonly { code: string; message: string }[]>;
  repeats: number;
  /** Processes to start in this run, for each one's position. */
  total: number;
  overhead: OverheadLog;
  /** A process no longer needed (sequential A/B: its device has decided): not started. */
  skip?(run: ScheduledRun): boolean;
  /** Queues the rewrite of results.json. */
  save(): Promise<void>;
}

/** Runs one scheduled process, alone or taking turns with another (`turns`). */
export type RunOne = (run: ScheduledRun, turns?: TurnSeat) => Promise<void>;
/** Runs a paired round's two scheduled processes as one (runner/paired-round.ts), or alone where they cannot pair. */
export type RunPair = (round: readonly [ScheduledRun, ScheduledRun]) => Promise<void>;

/**
 * Runs the scheduled processes one at a time each: a process of a cell that already failed is skipped;
 * any other runs (again while the device loses it), is timed, and is added to its cell.
 */
export function processRunner(context: ProcessContext): { one: RunOne; pair: RunPair } {
  const { plan, cells, journal, progress } = context;
  const { suite } = plan;
  let started = 0;
  /** Whether the process is still wanted; progress hears of one that is not. */
  const wanted = ({ device, variant, repeat }: ScheduledRun): boolean => {
    // A cell that failed once (model does not load, OOM, timeout) is not run again: its failure is the result.
    // Adaptive repeats: a cell whose p50 is already as precise as the suite asks (or whose device's latencies are emulated) runs no further process.
    const skipped = cells.failed(device, variant) || context.skip?.({ device, variant, repeat }) || cells.settled(device, variant);
    if (skipped) progress?.processSkipped?.(device, variant, repeat);
    return !skipped;
  };
  const jobFor = ({ device, variant }: ScheduledRun): RunnerJob => ({
    modelPath: variant.modelPath,
    task: plan.task.specFor?.(variant) ?? plan.task.spec,
    warmup: suite.warmup,
    iterations: suite.iterations,
    runtime: cellRuntimeOptions(suite.runtime, variant.runtimes, device.id),
    examples: variant.examples,
    ...(suite.measure.includes('instructions') ? { countInstructions: true } : {}),
  });
  const begin = ({ device, variant, repeat }: ScheduledRun) => {
    const position = { index: started++, total: context.total, repeat, repeats: context.repeats };
    progress?.cellStarted?.(device, variant, position);
    return position;
  };
  const record = ({ device, variant }: ScheduledRun, run: RunnerRun, overheadMs: number, position: ReturnType<typeof begin>) => {
    run.overheadMs = overheadMs;
    const cell = context.overhead.recording(() => {
      const measured = cells.add(device, variant, run);
      // Not awaited: the journal already holds the process durably, and the device need not wait for the file.
      void context.save();
      return measured;
    });
    progress?.cellFinished?.(cell, position);
  };
  /** One process of the cell, alone (or taking turns), with the attempts lost before it. */
  const alone = async (scheduled: ScheduledRun, lost: readonly { code: string; message: string }[], position: ReturnType<typeof begin>, turns?: TurnSeat) => {
    const clock = new ProcessClock();
    const run = await runAttempts(scheduled, jobFor(scheduled), lost, clock, context, turns);
    if (journal.writeError) return;
    const overheadMs = clock.ownMs();
    context.overhead.process(overheadMs);
    record(scheduled, run, overheadMs, position);
  };
  const lostBefore = (scheduled: ScheduledRun) => context.lostBefore.get(scheduledKey(scheduled)) ?? [];

  const one: RunOne = async (scheduled, turns) => {
    if (!wanted(scheduled)) return;
    await alone(scheduled, lostBefore(scheduled), begin(scheduled), turns);
  };

  const pair: RunPair = async (round) => {
    const both = round.filter(wanted);
    const jobs = both.map(jobFor);
    // Instruction counts run a callgrind process beside each variant's own: a pair has no single variant to count.
    if (both.length < 2 || jobs.some((job) => job.countInstructions)) {
      for (const scheduled of both) await alone(scheduled, lostBefore(scheduled), begin(scheduled));
      return;
    }
    const sides = [both[0]!, both[1]!] as const;
    const positions = sides.map(begin);
    const clock = new ProcessClock();
    const runs = await runPairedAttempt(sides, [jobs[0]!, jobs[1]!], clock, context);
    if (journal.writeError) return;
    const overheadMs = clock.ownMs();
    context.overhead.process(overheadMs);
    for (const [k, scheduled] of sides.entries()) {
      const run = runs?.[k];
      // Not paired after all (a variant cannot run), or lost to its partner: the process runs again alone.
      if (!run || lostByDevice(run.outcome)) await alone(scheduled, [...lostBefore(scheduled), ...(run ? [run.outcome.deviceFailure!] : [])], positions[k]!);
      else record(scheduled, run, overheadMs, positions[k]!);
    }
  };
  return { one, pair };
}
