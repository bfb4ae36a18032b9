import type { RunnerJob } from '../core/runner-protocol.ts';
import { driverFor } from '../devices/registry.ts';
import type { ScheduledRun } from '../plan/schedule.ts';
import type { RunnerRun } from '../results/cell-result.ts';
import { pairedEventSides, pairedJob, splitPairedOutcome } from '../runner/paired-round.ts';
import type { ProcessClock } from './overhead.ts';
import { refusal, type AttemptContext } from './run-attempts.ts';

/**
 * One paired round's process (runner/paired-round.ts): the host variant's job with the partner's beside it, both
 * journaled as attempts of their own from the one process's events. The device's probes do not sample beside it:
 * energy could not be split between the variants, and the 10 Hz sampling in the edgebench process widened the
 * rounds' spread (robust SD of log(p50 B / p50 A) over 39 paired rounds of a model against itself 1.9-2.5% with
 * it, 1.2-1.5% without, `npm run bench:gate -- --record <file> --paired`); the first round, which runs each
 * variant alone, samples them. The thermal gate still runs before the process.
 * undefined when either variant cannot run (broken on disk, changed since the plan): nothing was started, and each
 * runs alone instead, where a refusal is recorded as usual. A variant its partner lost comes back marked so
 * (lostByDevice), to be run again alone.
 */
export async function runPairedAttempt(
  [host, partner]: readonly [ScheduledRun, ScheduledRun],
  jobs: readonly [RunnerJob, RunnerJob],
  clock: ProcessClock,
  context: AttemptContext,
): Promise<[RunnerRun, RunnerRun] | undefined> {
  const { journal, stop } = context;
  for (const { variant } of [host, partner]) if (await refusal(variant)) return undefined;
  const { device } = host;
  await clock.outside(() => context.thermal.beforeRunnerProcess(device, stop));
  const startedAt = new Date();
  const where = (run: ScheduledRun) => ({ device: device.id, variant: run.variant.variant.name, repeat: run.repeat });
  const attempts = { host: journal.start(where(host), startedAt), partner: journal.start(where(partner), startedAt) };
  const outcome = await clock.outside(() =>
    driverFor(device).runCell(device, pairedJob(jobs[0], jobs[1]), {
      // The process runs both variants' iterations.
      timeoutMs: 2 * context.timeoutMs,
      signal: stop,
      onEvent: (event) => {
        const sides = pairedEventSides(event);
        if (sides.host) journal.event(attempts.host, sides.host);
        if (sides.partner) journal.event(attempts.partner, sides.partner);
      },
    }),
  );
  const finishedAt = new Date();
  const names = { host: host.variant.variant.name, partner: partner.variant.variant.name };
  const split = splitPairedOutcome(outcome, names);
  journal.end({ ...where(host), attempt: attempts.host }, finishedAt, split.host);
  journal.end({ ...where(partner), attempt: attempts.partner }, finishedAt, split.partner);
  return [
    { startedAt, finishedAt, outcome: split.host },
    { startedAt, finishedAt, outcome: split.partner },
  ];
}
