import type { MetricName } from '../core/budget.ts';
import { failOnMetrics } from '../core/gate-settings.ts';
import type { Results } from '../core/results.ts';
import { thermalWarnings, type ThermalFacts } from '../stats/thermal-warnings.ts';
import { sampleWarnings } from '../stats/warnings.ts';
import { evaluateBudgets } from './budgets.ts';
import { failOnChecks } from './fail-on.ts';
import { gateNotes } from './gate-notes.ts';
import { compareInterleaved } from './compare-ab.ts';
import { compareRuns } from './compare-runs.ts';
import type { GateReport, MeasurementWarning } from '../core/comparison.ts';

export interface GateInput {
  candidate: { results: Results; file: string };
  baseline?: { results: Results; file: string };
  /** Calibrated relative noise per device and metric (edgebench calibrate). */
  noise?: (deviceId: string, metric: MetricName) => number | undefined;
}

/**
 * The gate: compare the candidate run with the baseline run (when given), check
 * the candidate suite's budgets, collect measurement warnings. The CLI turns
 * the report's status into the exit code; reporters turn it into text.
 */
export function gate(input: GateInput): GateReport {
  const { candidate, baseline } = input;
  const options = candidate.results.suite.compare;
  const noise = input.noise ?? (() => undefined);
  // An interleaved A/B run is its own baseline: B is compared with A round by round.
  const comparisons = baseline
    ? compareRuns(baseline.results, candidate.results, options, noise)
    : candidate.results.ab
      ? compareInterleaved(candidate.results, options)
      : [];
  const { suite } = candidate.results;
  const budgets = [
    ...evaluateBudgets(suite.budgets, {
      candidate: candidate.results,
      comparisons,
      hasBaseline: baseline !== undefined || candidate.results.ab !== undefined,
      noise,
    }),
    // The default gate (a suite without budgets) or the suite's gate.failOn: a regressed verdict fails.
    ...failOnChecks(failOnMetrics(suite.gate, suite.budgets), comparisons, { explicit: suite.gate !== undefined }),
  ];
  const warnings: MeasurementWarning[] = [...(baseline ? warningsOf(baseline.results, 'baseline') : []), ...warningsOf(candidate.results, 'candidate')];
  return {
    schemaVersion: 1,
    suite: candidate.results.suite.name,
    ...(baseline ? { baseline: { runId: baseline.results.runId, file: baseline.file } } : {}),
    candidate: { runId: candidate.results.runId, file: candidate.file },
    comparisons,
    budgets,
    warnings,
    notes: gateNotes(candidate.results, baseline?.results),
    status: budgets.some((b) => b.level === 'error' && !b.passed) ? 'fail' : 'pass',
  };
}

function warningsOf(results: Results, run: 'baseline' | 'candidate'): MeasurementWarning[] {
  return results.cells.flatMap((cell) =>
    [...(cell.samples.length === 0 ? [] : sampleWarnings(cell.samples)), ...thermalWarnings(thermalFacts(cell))].map((w) => ({
      code: w.code,
      deviceId: cell.deviceId,
      variant: cell.variant.name,
      run,
      message: w.message,
      remedy: w.remedy,
    })),
  );
}

function thermalFacts(cell: Results['cells'][number]): ThermalFacts {
  const { temperatureStartC: start, temperatureEndC: end } = cell.metrics;
  return {
    ...(start?.source === 'measured' && end?.source === 'measured' ? { startC: start.value, endC: end.value } : {}),
    ...(cell.thermal
      ? { gating: cell.thermal.gating, gatingNote: cell.thermal.gatingNote, throttling: cell.thermal.throttling, throttlingNote: cell.thermal.throttlingNote }
      : {}),
  };
}
