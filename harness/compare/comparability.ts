import type { CompareOptions } from '../core/budget.ts';
import type { CellResult, Results } from '../core/results.ts';

/**
 * Why two cells must not be compared, or undefined when they may be. What may
 * differ is the suite's choice (compare.allowDifferent): by default the variant
 * files and the runtime version (that is what a release changes), never the
 * device or the inputs.
 */
export function incomparableReason(
  baseline: { run: Results; cell: CellResult },
  candidate: { run: Results; cell: CellResult },
  options: CompareOptions,
): string | undefined {
  const allowed = new Set(options.allowDifferent);
  if (baseline.run.suite.dataset.sha256 !== candidate.run.suite.dataset.sha256) {
    return `the inputs differ: dataset ${baseline.run.suite.dataset.file} has another sha256 in the candidate run`;
  }
  if (!allowed.has('device')) {
    const facts = (run: Results, cell: CellResult) => run.devices.find((d) => d.id === cell.deviceId)?.facts;
    const a = facts(baseline.run, baseline.cell);
    const b = facts(candidate.run, candidate.cell);
    for (const key of ['cpuModel', 'logicalCores', 'memoryBytes', 'arch'] as const) {
      if (a && b && a[key] !== b[key]) return `device ${baseline.cell.deviceId} is not the same machine: ${key} ${a[key]} vs ${b[key]}`;
    }
  }
  if (!allowed.has('runtime') && baseline.cell.runtime && candidate.cell.runtime) {
    const [a, b] = [baseline.cell.runtime.name, candidate.cell.runtime.name];
    // Results from before runtimes were named have no name: their runtime is compared by version alone.
    if (a && b && a !== b) return `the runtime differs: ${a} vs ${b} (add "runtime" to compare.allowDifferent to allow it)`;
    for (const key of ['onnxruntime', 'node'] as const) {
      if (baseline.cell.runtime[key] !== candidate.cell.runtime[key])
        return `${key} differs: ${baseline.cell.runtime[key]} vs ${candidate.cell.runtime[key]} (add "runtime" to compare.allowDifferent to allow it)`;
    }
  }
  if (!allowed.has('variant') && baseline.cell.variant.sha256 !== candidate.cell.variant.sha256) {
    return `variant ${baseline.cell.variant.name} has other files (sha256 ${baseline.cell.variant.sha256.slice(0, 12)} vs ${candidate.cell.variant.sha256.slice(0, 12)}; add "variant" to compare.allowDifferent to allow it)`;
  }
  return thermalReason(baseline.cell, candidate.cell);
}

/**
 * Why two cells were measured in thermal states that do not compare: one
 * gated and the other not (or ungated for another reason), or one throttled
 * and the other not. Cells recorded before edgebench kept their thermal state
 * compare as before.
 */
export function thermalReason(baseline: Pick<CellResult, 'thermal'>, candidate: Pick<CellResult, 'thermal'>): string | undefined {
  const [a, b] = [baseline.thermal, candidate.thermal];
  if (!a || !b) return undefined;
  if (a.gating !== b.gating) return `thermal gating differs: baseline ${a.gatingNote}; candidate ${b.gatingNote}`;
  if (a.throttling !== b.throttling)
    return `throttling differs: baseline ${a.throttling} (${a.throttlingNote}); candidate ${b.throttling} (${b.throttlingNote})`;
  return undefined;
}
