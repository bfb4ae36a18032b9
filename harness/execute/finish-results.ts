import type { Results } from '../core/results.ts';
import { driverFor } from '../devices/registry.ts';
import type { RunPlan } from '../plan/plan.ts';
import { scoreCells } from '../scoring/score-cells.ts';
import type { RunResultsFile } from './results-file.ts';

/**
 * Ends the run: connections kept open across cells (SSH masters) are closed, since scoring needs no device;
 * every cell is scored (which needs every variant of a device, the reference among them, so it waits for all);
 * and results.json gets its final status.
 */
export async function finishResults(results: Results, run: { fullPlan: RunPlan; plan: RunPlan; file: RunResultsFile; signal?: AbortSignal }): Promise<void> {
  await Promise.all(run.fullPlan.devices.map(async (device) => driverFor(device).release?.(device)));
  const { plan } = run;
  for (const [cell, quality] of scoreCells(results.cells, {
    suite: plan.suite,
    dataset: plan.dataset,
    baselineAnswers: plan.baselineAnswers,
    ...(plan.task.storedReference ? { storedReference: plan.task.storedReference } : {}),
  }))
    cell.quality = quality;
  results.status = run.signal?.aborted ? 'interrupted' : 'complete';
  results.finishedAt = new Date().toISOString();
  await run.file.flush(results);
}
