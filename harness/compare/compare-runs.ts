import type { CompareOptions, MetricName } from '../core/budget.ts';
import type { CellResult, Results } from '../core/results.ts';
import { relativeShift } from '../stats/hodges-lehmann.ts';
import { mannWhitneyU } from '../stats/mann-whitney.ts';
import { mcnemarTest } from '../stats/mcnemar.ts';
import { holmAdjust } from '../stats/multiple-comparisons.ts';
import { sortAscending } from '../stats/percentile.ts';
import { welchTest } from '../stats/welch.ts';
import { percentileInterval } from '../stats/percentile-ci.ts';
import { incomparableReason } from './comparability.ts';
import { pct, verdictOfChange } from './verdict.ts';
import { METRICS, type MetricDefinition, type MetricReading } from './metrics.ts';
import { metricDefinition } from './metric-definition.ts';
import { workloadMetricNames } from './workload-metrics.ts';
import type { Comparison } from '../core/comparison.ts';
import { DEFAULT_INSTRUCTIONS_TOLERANCE } from '../core/instructions-metric.ts';

/** Single measurements (load time, memory) carry no CI: only a change this large counts. */
export const SINGLE_MEASUREMENT_THRESHOLD = 0.1;

/**
 * Runner processes per side from which compare tests between processes. Below
 * it, a run's own samples cannot show how much a fresh process differs from the
 * last one, and that difference (memory layout, frequency, neighbours) is the
 * main source of false alarms.
 */
export const MIN_REPEATS = 3;

interface Pending {
  comparison: Comparison;
  decide(adjustedP: number | undefined): Pick<Comparison, 'verdict' | 'rule'>;
}

/**
 * Compares every device x variant cell present in both runs, metric by metric.
 * p-values are adjusted with Holm's method across all comparisons of the
 * report (family-wise error control: a CI gate must not cry wolf), then each
 * verdict is decided from its adjusted p-value, its effect size and the threshold.
 */
export function compareRuns(
  baseline: Results,
  candidate: Results,
  options: CompareOptions,
  noise: (deviceId: string, metric: MetricName) => number | undefined = () => undefined,
  /** Only these metrics (and Holm's correction over them alone); every metric when absent. */
  only?: ReadonlySet<MetricName>,
): Comparison[] {
  const pending: Pending[] = [];
  for (const cell of candidate.cells) {
    const before = baseline.cells.find((c) => c.deviceId === cell.deviceId && c.variant.name === cell.variant.name);
    if (!before) continue;
    const reason = incomparableReason({ run: baseline, cell: before }, { run: candidate, cell }, options);
    const named = ([...Object.keys(METRICS), ...workloadMetricNames([before, cell])] as MetricName[]).filter((n) => !only || only.has(n));
    for (const [name, definition] of named.map((n) => [n, metricDefinition(n)] as [MetricName, MetricDefinition])) {
      const a = before.status === 'ok' ? definition.read(before) : undefined;
      const b = cell.status === 'ok' ? definition.read(cell) : undefined;
      const base = { deviceId: cell.deviceId, variant: cell.variant.name, metric: name, unit: definition.unit, higherIsBetter: definition.higherIsBetter };
      // A side that recorded why it has no value (energy on a device without a meter): the comparison says so, with no number from either side.
      const missing = [
        ['baseline', !a && before.status === 'ok' ? definition.unavailable?.(before) : undefined],
        ['candidate', !b && cell.status === 'ok' ? definition.unavailable?.(cell) : undefined],
      ].flatMap(([side, why]) => (why ? [{ side, why }] : []));
      if (missing.length > 0) {
        // The same reason on both sides (the same machine without a meter) is said once.
        const why =
          missing.length === 2 && missing[0]!.why === missing[1]!.why
            ? `unavailable in both runs: ${missing[0]!.why}`
            : `unavailable on the ${missing.map((m) => `${m.side}: ${m.why}`).join('; ')}`;
        pending.push({ comparison: { ...base, verdict: 'unavailable', rule: why }, decide: () => ({ verdict: 'unavailable', rule: why }) });
        continue;
      }
      if (!a && !b) continue;
      const unlike = a && b ? provenanceMismatch(a, b) : undefined;
      if (a?.estimatedFrom && !unlike) Object.assign(base, { estimated: a.estimatedFrom });
      if (!a || !b || reason || unlike) {
        const why = reason ?? unlike ?? `${!a ? 'the baseline' : 'the candidate'} has no ${name} for this cell`;
        pending.push({
          comparison: {
            ...base,
            verdict: 'incomparable',
            rule: why,
            ...(a ? { baseline: { value: a.value } } : {}),
            ...(b ? { candidate: { value: b.value } } : {}),
          },
          decide: () => ({ verdict: 'incomparable', rule: why }),
        });
        continue;
      }
      const threshold =
        definition.kind === 'counted'
          ? (options.instructionsTolerance ?? DEFAULT_INSTRUCTIONS_TOLERANCE)
          : Math.max(options.threshold, noise(cell.deviceId, name) ?? 0);
      pending.push(compareMetric(base, definition, a, b, threshold, options.alpha));
    }
  }
  const withP = pending.filter((p) => p.comparison.pValue !== undefined);
  const adjusted = withP.length > 0 ? holmAdjust(withP.map((p) => p.comparison.pValue!)) : [];
  withP.forEach((p, i) => (p.comparison.adjustedPValue = adjusted[i]));
  return pending.map((p) => ({ ...p.comparison, ...p.decide(p.comparison.adjustedPValue) }));
}

type Base = Pick<Comparison, 'deviceId' | 'variant' | 'metric' | 'unit' | 'higherIsBetter' | 'estimated'>;

/** Why two values cannot be compared though both exist: a measurement against an estimate, or estimates from different power models. */
function provenanceMismatch(a: MetricReading, b: MetricReading): string | undefined {
  const what = (r: MetricReading) => (r.estimatedFrom ? `estimated (${r.estimatedFrom})` : 'measured');
  if (a.estimatedFrom === b.estimatedFrom) return undefined;
  return `the baseline's value is ${what(a)} and the candidate's ${what(b)}: only two measurements, or two estimates from the same power model, compare`;
}

/** Between processes when both sides ran enough of them; within the run's samples otherwise. */
function compareMetric(base: Base, definition: MetricDefinition, a: MetricReading, b: MetricReading, threshold: number, alpha: number): Pending {
  const delta = { absolute: b.value - a.value, relative: a.value !== 0 ? b.value / a.value - 1 : 0 };
  if (
    a.perRepeat &&
    b.perRepeat &&
    a.perRepeat.size >= MIN_REPEATS &&
    b.perRepeat.size >= MIN_REPEATS &&
    [...a.perRepeat.values(), ...b.perRepeat.values()].every((v) => v > 0)
  ) {
    return betweenProcesses(base, definition, a, b, threshold, alpha);
  }
  const fewRepeats = ` (fewer than ${MIN_REPEATS} runner processes per side: noise between processes is not in this test; run with repeats >= ${MIN_REPEATS})`;
  const pending = withinRun(base, definition, a, b, threshold, alpha, delta);
  if (definition.kind === 'exact' || definition.kind === 'counted' || definition.kind === 'paired-share') return pending;
  return { comparison: pending.comparison, decide: (p) => ({ ...pending.decide(p), rule: pending.decide(p).rule + fewRepeats }) };
}

/**
 * The default between runs: each runner process is one observation. Welch's
 * t-test on the log of the per-process values compares geometric means; the
 * CI of the difference, exponentiated, is the CI of the relative change.
 */
function betweenProcesses(base: Base, definition: MetricDefinition, a: MetricReading, b: MetricReading, threshold: number, alpha: number): Pending {
  const logs = (reading: MetricReading) => [...reading.perRepeat!.values()].map(Math.log);
  const test = welchTest(logs(a), logs(b));
  const relative = Math.exp(test.difference) - 1;
  const ci = { lower: Math.exp(test.lower) - 1, upper: Math.exp(test.upper) - 1 };
  const comparison: Comparison = {
    ...base,
    baseline: { value: a.value, n: a.perRepeat!.size },
    candidate: { value: b.value, n: b.perRepeat!.size },
    delta: {
      absolute: b.value - a.value,
      relative,
      relativeCi95: ci,
      method: `ratio of the geometric means of ${a.perRepeat!.size} and ${b.perRepeat!.size} per-process values, Welch t CI`,
    },
    pValue: test.pValue,
    verdict: 'unchanged',
    rule: '',
  };
  return {
    comparison,
    decide: (p) =>
      verdictOfChange({
        stats: `${pct(relative)} [${pct(ci.lower)}, ${pct(ci.upper)}] over ${a.perRepeat!.size} vs ${b.perRepeat!.size} runner processes, Welch p ${p!.toPrecision(2)} (Holm)`,
        change: relative,
        ci,
        adjustedP: p!,
        alpha,
        threshold,
        higherIsBetter: definition.higherIsBetter,
        remedy: 'raise repeats or quiet the device',
      }),
  };
}

/** Within one run's samples: for cells measured by a single runner process per side, and for exact and paired metrics. */
function withinRun(
  base: Base,
  definition: MetricDefinition,
  a: MetricReading,
  b: MetricReading,
  threshold: number,
  alpha: number,
  delta: { absolute: number; relative: number },
): Pending {
  const relative = delta.relative;
  const worse = (change: number) => (definition.higherIsBetter ? -change : change);
  switch (definition.kind) {
    case 'sampled-median': {
      const shift = relativeShift(a.samples!, b.samples!);
      const test = mannWhitneyU(a.samples!, b.samples!);
      if (!Number.isFinite(shift.lower) || !Number.isFinite(shift.upper)) {
        const rule = `too few samples (${a.samples!.length} and ${b.samples!.length}) for a 95% CI of the shift; raise iterations`;
        return {
          comparison: {
            ...base,
            baseline: side(a),
            candidate: side(b),
            delta: { ...delta, relative: shift.shift, method: shift.method },
            verdict: 'noisy',
            rule,
          },
          decide: () => ({ verdict: 'noisy', rule }),
        };
      }
      const comparison: Comparison = {
        ...base,
        baseline: side(a),
        candidate: side(b),
        delta: { ...delta, relative: shift.shift, relativeCi95: { lower: shift.lower, upper: shift.upper }, method: shift.method },
        pValue: test.pValue,
        verdict: 'unchanged',
        rule: '',
      };
      return {
        comparison,
        decide: (p) =>
          verdictOfChange({
            stats: `shift ${pct(shift.shift)} [${pct(shift.lower)}, ${pct(shift.upper)}], Mann-Whitney p ${p!.toPrecision(2)} (Holm)`,
            change: shift.shift,
            ci: shift,
            adjustedP: p!,
            alpha,
            threshold,
            higherIsBetter: definition.higherIsBetter,
            remedy: 'raise iterations or quiet the device',
          }),
      };
    }
    case 'sampled-tail': {
      const p = base.metric.endsWith('p99') ? 0.99 : 0.9;
      const ciA = percentileInterval(sortAscending(a.samples!), p);
      const ciB = percentileInterval(sortAscending(b.samples!), p);
      const comparison: Comparison = {
        ...base,
        baseline: { ...side(a), ...(ciA ? { ci95: { lower: ciA.lower, upper: ciA.upper } } : {}) },
        candidate: { ...side(b), ...(ciB ? { ci95: { lower: ciB.lower, upper: ciB.upper } } : {}) },
        delta: { ...delta, method: 'ratio of the two percentiles' },
        verdict: 'unchanged',
        rule: '',
      };
      return {
        comparison,
        decide: () => {
          if (!ciA || !ciB)
            return { verdict: 'noisy', rule: `too few samples for a 95% order-statistic CI of the ${base.metric.split('.')[1]}; raise iterations` };
          const stats = `${pct(relative)}; order-statistic 95% CIs [${ciA.lower.toFixed(3)}, ${ciA.upper.toFixed(3)}] vs [${ciB.lower.toFixed(3)}, ${ciB.upper.toFixed(3)}]`;
          if (ciB.lower > ciA.upper && worse(relative) > threshold)
            return { verdict: 'regressed', rule: `${stats}: the CIs do not overlap and the change exceeds ${pct(threshold)}` };
          if (ciB.upper < ciA.lower && -worse(relative) > threshold)
            return { verdict: 'improved', rule: `${stats}: the CIs do not overlap and the change exceeds ${pct(threshold)}` };
          return { verdict: 'unchanged', rule: `${stats}: the CIs overlap or the change is within ${pct(threshold)}` };
        },
      };
    }
    case 'single':
    case 'exact':
    case 'counted': {
      const limit = definition.kind === 'exact' ? 0.001 : definition.kind === 'counted' ? threshold : Math.max(threshold, SINGLE_MEASUREMENT_THRESHOLD);
      const how =
        definition.kind === 'exact'
          ? 'exact value'
          : definition.kind === 'counted'
            ? 'instruction count (callgrind, exact within the tolerance; no statistics)'
            : 'single measurement per run, no CI';
      // Instruction counts move by thousandths of a percent: one decimal would show a 0.05% tolerance as 0.1%.
      const show = definition.kind === 'counted' ? (x: number) => `${(x * 100).toFixed(3)}%` : pct;
      const comparison: Comparison = {
        ...base,
        baseline: side(a),
        candidate: side(b),
        delta: { ...delta, method: 'candidate / baseline - 1' },
        verdict: 'unchanged',
        rule: '',
      };
      return {
        comparison,
        decide: () =>
          worse(relative) > limit
            ? { verdict: 'regressed', rule: `${how}: ${show(relative)} is worse than the ${show(limit)} threshold` }
            : -worse(relative) > limit
              ? { verdict: 'improved', rule: `${how}: ${show(relative)} is better than the ${show(limit)} threshold` }
              : { verdict: 'unchanged', rule: `${how}: ${show(relative)} is within ${show(limit)}` },
      };
    }
    case 'paired-share': {
      const pairs =
        a.paired && b.paired ? [...a.paired].filter(([id]) => b.paired!.has(id)).map(([id, good]) => ({ baseline: good, candidate: b.paired!.get(id)! })) : [];
      const test = pairs.length > 0 ? mcnemarTest(pairs) : undefined;
      const points = (x: number) => `${(x * 100).toFixed(1)} points`;
      const comparison: Comparison = {
        ...base,
        baseline: side(a),
        candidate: side(b),
        delta: { ...delta, method: 'difference of shares on the same examples' },
        ...(test ? { pValue: test.pValue } : {}),
        verdict: 'unchanged',
        rule: '',
      };
      return {
        comparison,
        decide: (p) => {
          if (p === undefined) return { verdict: 'noisy', rule: 'no per-example outcomes to pair; compared by value only' };
          const stats = `${points(delta.absolute)} on ${pairs.length} paired examples, McNemar p ${p.toPrecision(2)} (Holm)`;
          if (p < alpha)
            return worse(delta.absolute) > 0
              ? { verdict: 'regressed', rule: `${stats}: significant at ${alpha}` }
              : { verdict: 'improved', rule: `${stats}: significant at ${alpha}` };
          return { verdict: 'unchanged', rule: `${stats}: not significant at ${alpha}` };
        },
      };
    }
  }
}

function side(reading: MetricReading): NonNullable<Comparison['baseline']> {
  const n = reading.samples?.length ?? reading.paired?.size;
  return { value: reading.value, ...(n !== undefined ? { n } : {}) };
}

/** The cell's value of a metric, for budgets. */
export function readMetric(cell: CellResult, metric: MetricName): number | undefined {
  return cell.status === 'ok' ? metricDefinition(metric).read(cell)?.value : undefined;
}
