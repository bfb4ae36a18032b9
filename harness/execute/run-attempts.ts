import type { RunnerEvent, RunnerJob } from '../core/runner-protocol.ts';
import { driverFor } from '../devices/registry.ts';
import type { ScheduledRun } from '../plan/schedule.ts';
import { variantChanged } from '../plan/verify-variant.ts';
import { startProbes } from '../probes/sampler.ts';
import type { ThermalGatekeeper } from '../probes/thermal-gate.ts';
import type { RunnerRun } from '../results/cell-result.ts';
import type { TurnSeat } from '../runner/turn-taking.ts';
import type { Journal } from '../results/journal.ts';
import { notRunOutcome } from '../runner/spawn.ts';
import { lostByDevice } from './lost-by-device.ts';
import type { ProcessClock } from './overhead.ts';
import type { RunProgress } from './run-progress.ts';

export interface AttemptContext {
  journal: Journal;
  /** Before each runner process: the suite's cooldown and thermal gate. */
  thermal: ThermalGatekeeper;
  /** Ctrl-C, or a write that failed. */
  stop: AbortSignal;
  timeoutMs: number;
  /** How often a process the device lost is run again (the suite's retries). */
  retries: number;
  progress?: RunProgress;
}

/** Why a variant cannot run (broken on disk, or changed since the plan): it is refused without starting a runner. */
export async function refusal(variant: ScheduledRun['variant']): Promise<{ code: string; message: string } | undefined> {
  return variant.problem ?? (await variantChanged(variant).then((message) => (message ? { code: 'MODEL_CHANGED', message } : undefined)));
}

/**
 * One runner process of a cell, journaled from start to end with the device's probes sampling beside it, and
 * run again while the device (not the model) loses it, up to the suite's retries. Its run carries every
 * attempt lost, those of an earlier run (`lostBefore`, on resume) first.
 */
export async function runAttempts(
  { device, variant, repeat }: ScheduledRun,
  job: RunnerJob,
  lostBefore: readonly { code: string; message: string }[],
  clock: ProcessClock,
  context: AttemptContext,
  turns?: TurnSeat,
): Promise<RunnerRun> {
  const { journal, stop } = context;
  // Taking turns, a process waits through the other's turns as well as its own.
  const timeoutMs = turns ? 2 * context.timeoutMs : context.timeoutMs;
  const where = { device: device.id, variant: variant.variant.name, repeat };
  const lostAttempts = [...lostBefore];
  for (;;) {
    const gate = await clock.outside(() => context.thermal.beforeRunnerProcess(device, stop));
    const startedAt = new Date();
    const attempt = journal.start(where, startedAt);
    const refused = await refusal(variant);
    const sampling = await startProbes(device);
    const onEvent = (event: RunnerEvent) => {
      journal.event(attempt, event);
      sampling.onEvent(event);
    };
    const outcome = refused
      ? notRunOutcome(refused.code, refused.message)
      : await clock.outside(() => driverFor(device).runCell(device, job, { timeoutMs, signal: stop, onEvent, ...(turns ? { turns } : {}) }));
    const probes = { ...(await sampling.stop()), gate };
    // A device-wide energy counter over this process's timed phase also counted the other's turns: it cannot be split.
    if (turns && probes.energy?.source === 'measured')
      probes.energy = {
        source: 'unavailable',
        reason: `${probes.energy.probe} counts the whole device, and this runner took turns with the other variant's in an A/B round: the energy over its timed phase is both runners'. Run without --turns for energy`,
      };
    const finishedAt = new Date();
    journal.end({ ...where, attempt }, finishedAt, outcome, probes);
    const run: RunnerRun = { startedAt, finishedAt, outcome, probes, ...(lostAttempts.length ? { lostAttempts: [...lostAttempts] } : {}) };
    // The device, not the model, ended it: run it again, up to the suite's retries, and say so.
    if (!lostByDevice(outcome) || lostAttempts.length >= context.retries || stop.aborted) return run;
    lostAttempts.push(outcome.deviceFailure!);
    context.progress?.attemptLost?.(device, variant, outcome.deviceFailure!, { attempt: lostAttempts.length, retries: context.retries });
  }
}
