import type { Results } from '../core/results.ts';
import type { ScheduledRun } from '../plan/schedule.ts';
import { ThermalGatekeeper } from '../probes/thermal-gate.ts';
import { claimsOf } from '../schedule/claims.ts';
import { runScheduled } from '../schedule/scheduler.ts';
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
  context: Omit<ProcessContext, 'thermal' | 'total' | 'overhead' | 'timeoutMs' | 'retries'>,
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
  const stats = await runScheduled(todo, { resourcesOf: ({ device }) => claims.get(device.id)!.resources, capacity, run, stopped: () => stop.aborted });
  const perProcess = overhead.summary(stats.dispatchMs);
  results.scheduling = { ...policy, peakConcurrency: stats.peakConcurrency, ...(perProcess ? { overhead: perProcess } : {}) };
}
