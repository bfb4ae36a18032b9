import type { Budget } from '../core/budget.ts';
import type { CellResult, Results } from '../core/results.ts';
import { percentileOfSorted, sortAscending } from '../stats/percentile.ts';
import { readMetric } from './compare-runs.ts';
import { metricDefinition } from './metric-definition.ts';
import type { BudgetResult, Comparison } from '../core/comparison.ts';

interface BudgetContext {
  candidate: Results;
  comparisons: Comparison[];
  hasBaseline: boolean;
  /** Calibrated relative noise of a metric on a device (edgebench calibrate), when known. */
  noise(deviceId: string, metric: Budget['metric']): number | undefined;
}

const format = (value: number, unit: string) =>
  unit === 'share' ? `${(value * 100).toFixed(2)}%` : unit === 'bytes' ? `${(value / 1024 / 1024).toFixed(1)} MiB` : `${value.toPrecision(4)} ${unit}`;

/** Checks every budget of the suite on the cells it applies to. */
export function evaluateBudgets(budgets: readonly Budget[], context: BudgetContext): BudgetResult[] {
  return budgets.flatMap((budget) => evaluateBudget(budget, context));
}

function evaluateBudget(budget: Budget, context: BudgetContext): BudgetResult[] {
  const { candidate } = context;
  const definition = metricDefinition(budget.metric);
  const cells = candidate.cells.filter(
    (c) =>
      (!budget.devices || budget.devices.includes(c.deviceId)) &&
      (!budget.deviceClass || candidate.devices.find((d) => d.id === c.deviceId)?.class === budget.deviceClass) &&
      (!budget.variants || budget.variants.includes(c.variant.name)),
  );
  // Rounds of an interleaved A/B run share one comparison per device and variant: check it once.
  if (budget.increase)
    cells.splice(0, cells.length, ...cells.filter((c, i) => cells.findIndex((d) => d.deviceId === c.deviceId && d.variant.name === c.variant.name) === i));
  const name = budget.name ?? defaultName(budget);
  const result = (
    cell: Pick<CellResult, 'deviceId'> & { variant: { name: string } },
    passed: boolean,
    expected: string,
    actual: number | null,
    values: BudgetResult['values'],
    message: string,
  ): BudgetResult => ({
    name,
    level: budget.level,
    metric: budget.metric,
    deviceId: cell.deviceId,
    variant: cell.variant.name,
    passed,
    expected,
    actual,
    values: { aggregation: budget.aggregation, ...values },
    message,
  });

  // One value per cell: the metric itself, its worsening against the baseline run, or its drop from another variant.
  const checks = cells.map((cell) => ({ cell, ...measure(budget, cell, context) }));
  const unusable = checks.filter((c) => c.value === undefined);
  const usable = checks.filter((c): c is typeof c & { value: number } => c.value !== undefined);
  // A budget that cannot be checked fails, so a gate never passes by accident; without any baseline run, increase budgets are skipped instead.
  const out: BudgetResult[] = unusable.map((c) => result(c.cell, c.skipped === true, c.expected, null, {}, `not checked: ${c.why}`));
  const groups = budget.aggregation === 'each' ? usable.map((c) => [c]) : usable.length ? [usable] : [];
  for (const group of groups) {
    const sorted = sortAscending(group.map((c) => c.value));
    // "worst" is the largest worsening, or the value furthest on the failing side of max/min.
    const worstFirst = budget.min !== undefined ? sorted : [...sorted].reverse();
    const actual = budget.aggregation === 'median' ? percentileOfSorted(sorted, 0.5) : worstFirst[0]!;
    const representative = group.find((c) => c.value === actual) ?? group[0]!;
    const cell =
      group.length === 1
        ? representative.cell
        : {
            deviceId: group
              .map((c) => c.cell.deviceId)
              .filter((d, i, all) => all.indexOf(d) === i)
              .join('+'),
            variant: {
              name: group
                .map((c) => c.cell.variant.name)
                .filter((v, i, all) => all.indexOf(v) === i)
                .join('+'),
            },
          };
    const passed = representative.passes(actual);
    const estimated = group.map((c) => c.estimated).find(Boolean);
    const values = estimated ? { ...representative.values, source: `estimated (${estimated})` } : representative.values;
    const label = estimated ? `${budget.metric} (estimated)` : budget.metric;
    out.push(
      result(
        cell,
        passed,
        representative.expected,
        actual,
        values,
        `${label} ${passed ? 'within' : 'over'} budget: ${representative.describe(actual)} (${representative.expected})`,
      ),
    );
  }
  return out;

  function measure(
    budget: Budget,
    cell: CellResult,
    ctx: BudgetContext,
  ): {
    value?: number;
    why?: string;
    skipped?: boolean;
    estimated?: string;
    expected: string;
    values: BudgetResult['values'];
    passes(v: number): boolean;
    describe(v: number): string;
  } {
    const unit = definition.unit;
    const own = readMetric(cell, budget.metric);
    if (budget.max !== undefined || budget.min !== undefined) {
      const expected = budget.max !== undefined ? `<= ${format(budget.max, unit)}` : `>= ${format(budget.min!, unit)}`;
      const unavailable = cell.status === 'ok' ? definition.unavailable?.(cell) : undefined;
      const estimated = cell.status === 'ok' ? definition.read(cell)?.estimatedFrom : undefined;
      return {
        value: own,
        why: unavailable
          ? `${budget.metric} is unavailable on ${cell.deviceId}: ${unavailable}`
          : `the cell has no ${budget.metric} (${cell.status === 'ok' ? 'not measured' : cell.error?.code})`,
        ...(estimated ? { estimated } : {}),
        expected,
        values: {},
        passes: (v) => (budget.max !== undefined ? v <= budget.max : v >= budget.min!),
        describe: (v) => format(v, unit),
      };
    }
    if (budget.within) {
      const reference = ctx.candidate.cells.find((c) => c.deviceId === cell.deviceId && c.variant.name === budget.within!.variant);
      const theirs = reference ? readMetric(reference, budget.metric) : undefined;
      const drop = own !== undefined && theirs !== undefined ? (definition.higherIsBetter ? theirs - own : own - theirs) : undefined;
      return {
        value: drop,
        why: theirs === undefined ? `variant ${budget.within.variant} has no ${budget.metric} on ${cell.deviceId}` : `the cell has no ${budget.metric}`,
        expected: `worse than ${budget.within.variant} by <= ${format(budget.within.maxDrop, unit)}`,
        values: { reference: budget.within.variant, ...(theirs !== undefined ? { referenceValue: theirs } : {}), ...(own !== undefined ? { value: own } : {}) },
        // A tolerance of 1e-9 so that a drop of exactly maxDrop, computed in floating point, passes.
        passes: (v) => v <= budget.within!.maxDrop + 1e-9,
        describe: (v) => `${format(v, unit)} worse than ${budget.within!.variant}`,
      };
    }
    // increase: against the baseline run's comparison of the same cell and metric.
    const limits = budget.increase!;
    const comparison = ctx.comparisons.find((c) => c.deviceId === cell.deviceId && c.variant === cell.variant.name && c.metric === budget.metric);
    const noise = limits.noiseMultiple !== undefined ? ctx.noise(cell.deviceId, budget.metric) : undefined;
    const expectedParts = [
      limits.relative !== undefined && `+${(limits.relative * 100).toFixed(1)}%`,
      limits.absolute !== undefined && `+${format(limits.absolute, unit)}`,
      limits.noiseMultiple !== undefined && `${limits.noiseMultiple}x calibrated noise`,
    ].filter(Boolean);
    const expected = `increase <= ${expectedParts.join(' and ')}, unless not regressed`;
    if (!ctx.hasBaseline)
      return {
        skipped: true,
        why: 'no baseline run to compare with (edgebench compare <baseline> <candidate>)',
        expected,
        values: {},
        passes: () => true,
        describe: () => '',
      };
    if (!comparison || comparison.verdict === 'incomparable' || !comparison.delta)
      return {
        why: comparison?.rule ?? `the baseline run has no ${cell.variant.name} on ${cell.deviceId}`,
        expected,
        values: {},
        passes: () => true,
        describe: () => '',
      };
    if (limits.noiseMultiple !== undefined && noise === undefined)
      return {
        why: `no calibrated noise for ${budget.metric} on ${cell.deviceId} (run edgebench calibrate)`,
        expected,
        values: {},
        passes: () => true,
        describe: () => '',
      };
    const sign = definition.higherIsBetter ? -1 : 1;
    const relative = sign * comparison.delta.relative;
    const absolute = sign * comparison.delta.absolute;
    return {
      value: relative,
      ...(comparison.estimated ? { estimated: comparison.estimated } : {}),
      expected,
      values: {
        verdict: comparison.verdict,
        absoluteChange: absolute,
        baseline: comparison.baseline?.value ?? Number.NaN,
        candidate: comparison.candidate?.value ?? Number.NaN,
        ...(noise !== undefined ? { calibratedNoise: noise } : {}),
      },
      passes: (r) =>
        !(
          comparison.verdict === 'regressed' &&
          (limits.relative === undefined || r > limits.relative) &&
          (limits.absolute === undefined || absolute > limits.absolute) &&
          (limits.noiseMultiple === undefined || r > limits.noiseMultiple * noise!)
        ),
      describe: (r) => `${r >= 0 ? '+' : ''}${(r * 100).toFixed(1)}% (${absolute >= 0 ? '+' : ''}${format(absolute, unit)}), verdict ${comparison.verdict}`,
    };
  }
}

function defaultName(budget: Budget): string {
  if (budget.max !== undefined) return `${budget.metric} max`;
  if (budget.min !== undefined) return `${budget.metric} min`;
  if (budget.within) return `${budget.metric} within ${budget.within.variant}`;
  return `${budget.metric} increase`;
}
