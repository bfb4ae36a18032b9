import type { RunnerJob } from '../core/runner-protocol.ts';
import { cellRuntimeOptions } from '../plan/cell-runtimes.ts';
import type { RunPlan } from '../plan/plan.ts';
import type { ScheduledRun } from '../plan/schedule.ts';
import type { MeasuredCells } from './measured-cells.ts';
import { OverheadLog, ProcessClock } from './overhead.ts';
import { scheduledKey } from './process-key.ts';
import { runAttempts, type AttemptContext } from './run-attempts.ts';
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

/**
 * Runs the scheduled processes one at a time each: a process of a cell that already failed is skipped;
 * any other runs (again while the device loses it), is timed, and is added to its cell.
 */
export function processRunner(context: ProcessContext): (run: ScheduledRun, turns?: TurnSeat) => Promise<void> {
  const { plan, cells, journal, progress } = context;
  const { suite } = plan;
  let started = 0;
  return async (scheduled, turns) => {
    const clock = new ProcessClock();
    const { device, variant, repeat } = scheduled;
    // A cell that failed once (model does not load, OOM, timeout) is not run again: its failure is the result.
    if (cells.failed(device, variant) || context.skip?.(scheduled)) return progress?.processSkipped?.(device, variant, repeat);
    // Adaptive repeats: a cell whose p50 is already as precise as the suite asks (or whose device's latencies are emulated) runs no further process.
    if (cells.settled(device, variant)) return progress?.processSkipped?.(device, variant, repeat);
    const position = { index: started++, total: context.total, repeat, repeats: context.repeats };
    progress?.cellStarted?.(device, variant, position);
    const job: RunnerJob = {
      modelPath: variant.modelPath,
      task: plan.task.specFor?.(variant) ?? plan.task.spec,
      warmup: suite.warmup,
      iterations: suite.iterations,
      runtime: cellRuntimeOptions(suite.runtime, variant.runtimes, device.id),
      examples: variant.examples,
      ...(suite.measure.includes('instructions') ? { countInstructions: true } : {}),
    };
    const run = await runAttempts(scheduled, job, context.lostBefore.get(scheduledKey(scheduled)) ?? [], clock, context, turns);
    if (journal.writeError) return;
    run.overheadMs = clock.ownMs();
    context.overhead.process(run.overheadMs);
    const cell = context.overhead.recording(() => {
      const measured = cells.add(device, variant, run);
      // Not awaited: the journal already holds the process durably, and the device need not wait for the file.
      void context.save();
      return measured;
    });
    progress?.cellFinished?.(cell, position);
  };
}
