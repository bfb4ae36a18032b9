import type { Results } from '../core/results.ts';
import type { ScheduledRun } from '../plan/schedule.ts';
import { ThermalGatekeeper } from '../probes/thermal-gate.ts';
import { claimsOf } from '../schedule/claims.ts';
import { runScheduled } from '../schedule/scheduler.ts';
import { TurnTaking } from '../runner/turn-taking.ts';
import { OverheadLog } from './overhead.ts';
import { processRunner, type ProcessContext } from './run-process.ts';

/**
 * Starts the run's processes in the order given. Devices run side by side, one process each; those that share
 * this machine's cores are kept apart (scheduling in devices.yaml; claimsOf says who holds what). How devices
 * shared the machine, and edgebench's own cost per process, go into `results.scheduling`.
 */
export async function runProcesses(
  todo: readonly ScheduledRun[],
  results: Results,
  context: Omit<ProcessContext, 'thermal' | 'total' | 'overhead' | 'timeoutMs' | 'retries'> & {
    /** Devices whose A/B rounds take turns (results.ab.turnsOn); empty or absent: every process runs alone. */
    turnsOn?: ReadonlySet<string>;
    /** Devices whose A/B rounds after the first run paired, both variants in one process (results.ab.pairedOn). */
    pairedOn?: ReadonlySet<string>;
  },
): Promise<void> {
  const { plan, progress, stop } = context;
  const { claims, capacity, record: policy } = claimsOf(plan.devices, plan.scheduling);
  results.scheduling = policy;
  progress?.scheduled?.({ processes: todo.map(({ device }) => device.id), scheduling: policy, resourcesOf: (id) => claims.get(id)?.resources ?? [], capacity });
  const overhead = new OverheadLog();
  const runner = processRunner({
    ...context,
    thermal: new ThermalGatekeeper(plan.suite.thermal),
    timeoutMs: plan.suite.timeoutSeconds * 1000,
    retries: plan.suite.retries,
    total: todo.length,
    overhead,
  });
  const turnsOn = context.turnsOn ?? new Set<string>();
  const pairedOn = context.pairedOn ?? new Set<string>();
  const units = abRounds(todo, (run) => turnsOn.has(run.device.id) || (pairedOn.has(run.device.id) && run.repeat > 1));
  const runUnit = async (unit: readonly ScheduledRun[]) => {
    if (unit.length === 1) return runner.one(unit[0]!);
    if (unit.length === 2 && pairedOn.has(unit[0]!.device.id)) return runner.pair([unit[0]!, unit[1]!]);
    const table = new TurnTaking(unit.length);
    // Every side leaves when its process is over, or was never started (skipped, failed before): the other then runs freely.
    await Promise.all(unit.map((one, side) => runner.one(one, table.seat(side)).finally(() => table.seat(side).leave())));
  };
  const stats = await runScheduled(units, {
    resourcesOf: (unit) => claims.get(unit[0]!.device.id)!.resources,
    capacity,
    run: runUnit,
    stopped: () => stop.aborted,
  });
  const perProcess = overhead.summary(stats.dispatchMs);
  results.scheduling = { ...policy, peakConcurrency: stats.peakConcurrency, ...(perProcess ? { overhead: perProcess } : {}) };
}

/**
 * The processes of an A/B run grouped into the rounds that run together: the A and B processes of one repeat on a
 * device, where `together` says so, taking turns side by side or paired in one process; any other process runs alone.
 */
export function abRounds(todo: readonly ScheduledRun[], together: (run: ScheduledRun) => boolean): ScheduledRun[][] {
  const units: ScheduledRun[][] = [];
  const rounds = new Map<string, ScheduledRun[]>();
  for (const one of todo) {
    if (!together(one)) {
      units.push([one]);
      continue;
    }
    const key = `${one.device.id}\u0000${one.repeat}`;
    const round = rounds.get(key);
    if (round) round.push(one);
    else {
      const fresh = [one];
      rounds.set(key, fresh);
      units.push(fresh);
    }
  }
  return units;
}
