import type { DeviceSpec } from '../core/device-spec.ts';
import type { PlannedVariant, RunPlan } from '../plan/plan.ts';
import { runsOn } from '../plan/variant-devices.ts';
import { failureOf, type RunnerRun } from '../results/cell-result.ts';
import type { JournaledRun } from '../results/journal.ts';
import { lostByDevice } from './lost-by-device.ts';
import { processKey } from './process-key.ts';

/**
 * Failures a resume runs again: they say something about the machine or the
 * run (killed from outside, hung, stopped, the model file changed and was
 * restored), not about the variant. A model that does not load, or runs out
 * of memory under a cap, fails the same way every time: that is its result.
 */
const RUN_AGAIN_ON_RESUME = new Set(['INTERRUPTED', 'DEVICE_UNAVAILABLE', 'RUNNER_KILLED', 'RUNNER_INCOMPLETE', 'TIMEOUT', 'MODEL_CHANGED']);

export interface ResumedRuns {
  /** Per cell with any, the runner processes kept from the journal, by repeat. */
  kept: { device: DeviceSpec; variant: PlannedVariant; runs: RunnerRun[] }[];
  /** The processes kept (processKey): the resumed run does not start them again. */
  done: Set<string>;
  /** Processes whose last attempt the device lost (processKey), with every attempt lost so far: run again, they carry these along. */
  lostBefore: Map<string, { code: string; message: string }[]>;
}

/**
 * What a resumed run starts from: the processes its journal holds in full. A repeat whose last attempt the
 * device lost is run again, keeping the attempts lost before; one whose last attempt failed for a reason of
 * the machine or the run (RUN_AGAIN_ON_RESUME) is run again as if new; any other is kept, failure or not.
 */
export function resumedRuns(plan: Pick<RunPlan, 'devices' | 'variants'>, completed: readonly JournaledRun[], timeoutMs: number): ResumedRuns {
  const resumed: ResumedRuns = { kept: [], done: new Set(), lostBefore: new Map() };
  for (const device of plan.devices) {
    for (const variant of plan.variants.filter((v) => runsOn(v, device.id))) {
      const journaled = completed.filter((r) => r.device === device.id && r.variant === variant.variant.name);
      const byRepeat = new Map<number, JournaledRun[]>();
      for (const run of journaled) byRepeat.set(run.repeat, [...(byRepeat.get(run.repeat) ?? []), run]);
      const runs: RunnerRun[] = [];
      for (const [repeat, attempts] of [...byRepeat].sort(([x], [y]) => x - y)) {
        const last = attempts.at(-1)!;
        // Only attempts the device lost are lost attempts; others before the last (a timeout run again) are superseded, and stay in the journal.
        const lost = attempts.filter((a) => lostByDevice(a.outcome)).map((a) => a.outcome.deviceFailure!);
        const key = processKey({ device: device.id, variant: variant.variant.name, repeat });
        if (lostByDevice(last.outcome)) resumed.lostBefore.set(key, lost);
        else if (RUN_AGAIN_ON_RESUME.has(failureOf(last.outcome, timeoutMs)?.code ?? '')) continue;
        else {
          runs.push({
            startedAt: last.startedAt,
            finishedAt: last.finishedAt,
            outcome: last.outcome,
            ...(last.probes ? { probes: last.probes } : {}),
            ...(lost.length ? { lostAttempts: lost } : {}),
          });
          resumed.done.add(key);
        }
      }
      if (runs.length) resumed.kept.push({ device, variant, runs });
    }
  }
  return resumed;
}
