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
  },
): Promise<void> {
  const { plan, progress, stop } = context;
  const { claims, capacity, record: policy } = claimsOf(plan.devices, plan.scheduling);
  results.scheduling = policy;
  progress?.scheduled?.({ processes: todo.map(({ device }) => device.id), scheduling: policy, resourcesOf: (id) => claims.get(id)?.resources ?? [], capacity });
  const overhead = new OverheadLog();
  const run = processRunner({
    ...context,
    thermal: new ThermalGatekeeper(plan.suite.thermal),
    timeoutMs: plan.suite.timeoutSeconds * 1000,
    retries: plan.suite.retries,
    total: todo.length,
    overhead,
  });
  const units = turnTakingRounds(todo, context.turnsOn ?? new Set());
  const runUnit = async (unit: readonly ScheduledRun[]) => {
    if (unit.length === 1) return run(unit[0]!);
    const table = new TurnTaking(unit.length);
    // Every side leaves when its process is over, or was never started (skipped, failed before): the other then runs freely.
    await Promise.all(unit.map((one, side) => run(one, table.seat(side)).finally(() => table.seat(side).leave())));
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
 * The processes of an A/B run grouped into rounds that take turns: the A and B processes of one repeat on a device
 * of `turnsOn` run side by side, alternating; any other process runs alone.
 */
export function turnTakingRounds(todo: readonly ScheduledRun[], turnsOn: ReadonlySet<string>): ScheduledRun[][] {
  const units: ScheduledRun[][] = [];
  const rounds = new Map<string, ScheduledRun[]>();
  for (const one of todo) {
    if (!turnsOn.has(one.device.id)) {
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
