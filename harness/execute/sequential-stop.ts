import { PAIRED_METRICS } from '../compare/compare-ab.ts';
import { METRICS } from '../compare/metrics.ts';
import { SEQUENTIAL_METHOD, sequentialMeasure, sequentialVerdict, type SequentialSettings } from '../compare/sequential-verdict.ts';
import { resolvableChange } from '../compare/resolvable-change.ts';
import type { FixedMetricName, MetricName } from '../core/budget.ts';
import { failOnMetrics } from '../core/gate-settings.ts';
import type { CellResult, Results } from '../core/results.ts';
import type { SequentialRecord } from '../core/sequential.ts';
import type { RunPlan } from '../plan/plan.ts';
import type { ScheduledRun } from '../plan/schedule.ts';

/** The metrics whose verdicts decide when a device stops: those the gate fails on, or checks a budget against A, that rounds pair. */
export function stoppingMetrics(plan: Pick<RunPlan, 'suite'>): FixedMetricName[] {
  const { suite } = plan;
  const gated = new Set<MetricName>([
    ...failOnMetrics(suite.gate, suite.budgets),
    ...suite.budgets.filter((b) => b.increase && b.level === 'error').map((b) => b.metric),
  ]);
  const paired = PAIRED_METRICS.filter((m) => gated.has(m));
  return paired.length > 0 ? paired : ['latency.p50'];
}

/**
 * Sequential stopping of interleaved A/B rounds: after each round a device
 * completes, its gated metrics are tested with the anytime-valid confidence
 * sequence (compare/sequential-verdict.ts), and the device runs no more
 * rounds once one of them regressed or every one has a verdict. The tests
 * are the ones compare makes at the end, with a Bonferroni share of alpha
 * per comparison (at least Holm's, so a stop for "regressed" is a regressed
 * verdict in compare too). What each device did goes into results.ab.sequential.
 */
export class SequentialStopping {
  private readonly record: SequentialRecord;
  private readonly metrics: FixedMetricName[];

  constructor(
    private readonly plan: RunPlan,
    private readonly results: Results,
    private readonly ab: Omit<NonNullable<Results['ab']>, 'sequential'>,
    settings: SequentialSettings & { threshold?: number },
  ) {
    this.metrics = stoppingMetrics(plan);
    this.record = {
      method: SEQUENTIAL_METHOD,
      ...(settings.tier ? { tier: settings.tier } : {}),
      minRounds: settings.minRounds,
      maxRounds: ab.rounds,
      threshold: settings.threshold ?? plan.suite.compare.threshold,
      alpha: plan.suite.compare.alpha,
      futility: settings.futility,
      metrics: this.metrics,
      devices: plan.devices.map((d) => ({ deviceId: d.id, rounds: 0, stopped: 'not-finished', reason: 'no round finished yet' })),
    };
    results.ab = { ...ab, sequential: this.record };
  }

  /** Whether a scheduled process is no longer needed: its device has decided. */
  skip(run: ScheduledRun): boolean {
    const device = this.deviceRecord(run.device.id);
    return device.stopped === 'regressed' || device.stopped === 'decided';
  }

  /** After each runner process: when it completed a round, test the device's rounds so far. */
  observe(cell: CellResult): void {
    const device = this.deviceRecord(cell.deviceId);
    if (device.stopped === 'regressed' || device.stopped === 'decided') return;
    const cellOf = (name: string) => this.results.cells.find((c) => c.deviceId === cell.deviceId && c.variant.name === name && c.status === 'ok');
    const a = cellOf(this.ab.a);
    const b = cellOf(this.ab.b);
    const repeatsOf = (c: CellResult | undefined) => new Set((c?.repeats ?? []).filter((r) => r.status === 'ok').map((r) => r.repeat));
    const inA = repeatsOf(a);
    const rounds = [...repeatsOf(b)].filter((r) => inA.has(r)).length;
    if (rounds === device.rounds) return;
    device.rounds = rounds;
    device.reason = `${rounds} round(s) so far, undecided`;
    if (rounds >= this.record.maxRounds) {
      device.stopped = 'max-rounds';
      device.reason = `all ${this.record.maxRounds} rounds ran without a verdict on every gated metric`;
    }
    if (!a || !b || rounds < this.record.minRounds) return;
    // Gated metrics this task does not measure (TTFT of a classifier) have no rounds: the rest decide.
    const measured = this.metrics.filter((m) => METRICS[m].read(a)?.perRepeat);
    const logRatios = new Map(
      measured.map((metric) => {
        const before = METRICS[metric].read(a)?.perRepeat ?? new Map<number, number>();
        const after = METRICS[metric].read(b)?.perRepeat ?? new Map<number, number>();
        const paired = [...before.keys()].filter((r) => before.get(r)! > 0 && (after.get(r) ?? 0) > 0).sort((x, y) => x - y);
        return [metric, paired.map((r) => Math.log(after.get(r)! / before.get(r)!))] as const;
      }),
    );
    // Every paired metric with data on every device is a comparison compare will adjust for.
    const comparisons = PAIRED_METRICS.filter((m) => METRICS[m].read(a)?.perRepeat).length * this.plan.devices.length;
    const decision = decideRounds(logRatios, { ...this.record, comparisons });
    const first = logRatios.get(measured.find((m) => MEDIANS.has(m)) ?? measured[0]!);
    // Infinite while the rounds rule out no change at all: then nothing is claimed.
    const resolves = first ? resolvableChange(first, { alpha: this.record.alpha, comparisons, threshold: this.record.threshold }) : Infinity;
    if (Number.isFinite(resolves)) device.resolves = resolves;
    else delete device.resolves;
    if (decision) {
      device.stopped = decision.stopped;
      // Paired rounds: the first round ran, and is not compared (compare/metrics.ts).
      const compared = Math.min(...[...logRatios.values()].map((r) => r.length));
      device.reason = compared < rounds ? `${decision.reason}; ${rounds} rounds ran, the first (a process per variant) not compared` : decision.reason;
    }
  }

  private deviceRecord(deviceId: string): SequentialRecord['devices'][number] {
    return this.record.devices.find((d) => d.deviceId === deviceId)!;
  }
}

/** The paired metrics that are medians of a process's samples: the sharpest, and the ones that decide when rounds stop. */
const MEDIANS = new Set<FixedMetricName>(['latency.p50', 'ttft.p50', 'decodeToken.p50']);

/**
 * The stopping rule on one device's rounds so far: stop once a gated median regressed, or every gated
 * median has a verdict (regressed when any gated metric then did); undefined to run another round. `comparisons` is how many comparisons compare
 * will adjust for: each test here gets alpha / comparisons (Bonferroni, never less than Holm gives it).
 */
export function decideRounds(
  logRatios: ReadonlyMap<FixedMetricName, readonly number[]>,
  settings: Pick<SequentialRecord, 'minRounds' | 'alpha' | 'threshold' | 'futility'> & { comparisons: number },
): { stopped: 'regressed' | 'decided'; reason: string; verdicts: { metric: FixedMetricName; verdict: string }[] } | undefined {
  const entries = [...logRatios];
  const rounds = Math.min(...entries.map(([, r]) => r.length));
  if (entries.length === 0 || rounds < settings.minRounds) return undefined;
  const verdicts = entries.map(([metric, ratios]) => {
    const measure = sequentialMeasure(ratios, settings.futility);
    const { verdict } = sequentialVerdict({
      stats: '',
      measure,
      adjustedP: Math.min(1, measure.pValue * settings.comparisons),
      alpha: settings.alpha,
      threshold: settings.threshold,
      higherIsBetter: METRICS[metric].higherIsBetter,
      futility: settings.futility,
    });
    return { metric, verdict };
  });
  // Medians decide when to stop: a tail percentile of ~100 iterations per process moves with a handful of samples, and waiting
  // for it to settle would cost most runs all their rounds. A tail that regressed does not stop the rounds on its own: the
  // medians go on to a verdict, so a failed gate also says whether the typical latency moved (replayed on paired rounds,
  // `npm run bench:gate`: a 5% slowdown's p50 was called regressed in 77% of trials when a tail's regression stopped the
  // rounds, in 100% this way, for 0.5 more rounds on average). Tails are judged whenever the rounds stopped.
  const deciding = verdicts.filter((v) => MEDIANS.has(v.metric));
  const medians = deciding.length > 0 ? deciding : verdicts;
  const regressedMedian = medians.find((v) => v.verdict === 'regressed');
  if (regressedMedian) return { stopped: 'regressed', reason: `${regressedMedian.metric} regressed after ${rounds} rounds`, verdicts };
  if (medians.some((v) => v.verdict === 'noisy')) return undefined;
  const regressed = verdicts.find((v) => v.verdict === 'regressed');
  const all = verdicts.map((v) => `${v.metric} ${v.verdict}`).join(', ');
  return regressed
    ? { stopped: 'regressed', reason: `${regressed.metric} regressed after ${rounds} rounds (${all})`, verdicts }
    : { stopped: 'decided', reason: `decided after ${rounds} rounds: ${all}`, verdicts };
}
