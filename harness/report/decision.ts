import { isFailOnCheck } from '../compare/fail-on.ts';
import type { Comparison, GateReport, Verdict } from '../core/comparison.ts';
import { metricValue } from '../core/metric.ts';
import type { Report } from '../core/report.ts';
import type { CellResult, Results } from '../core/results.ts';

/** A cell's standing in one word, worst first: what a reader of the report acts on. */
export const CELL_STANDINGS = ['failed', 'over budget', 'regressed', 'noisy', 'improved', 'unchanged', 'not compared'] as const;
export type CellStanding = (typeof CELL_STANDINGS)[number];

/** One device x variant of a run: its standing against the baseline and the budgets, and why. */
export interface CellVerdict {
  deviceId: string;
  variant: string;
  standing: CellStanding;
  /** What decided it: the failed budgets, the metrics that moved, the failure. */
  details: string[];
}

/** Which variant to ship on a device, and the verdict of each of its variants. */
export interface DeviceDecision {
  deviceId: string;
  /** The variant to ship, with the reason in words; absent when none qualifies (`why` says so). */
  ship?: { variant: string; reason: string };
  why?: string;
  /** Variants left out of the choice, each with the reason. */
  excluded: { variant: string; reason: string }[];
  /** Worst first. */
  cells: CellVerdict[];
}

export interface RunDecision {
  runId: string;
  /** The baseline run the verdicts are against, when there is one. */
  baselineRunId?: string;
  /** Devices with the worst standing first. */
  devices: DeviceDecision[];
  /** Cells that got worse or broke a budget, worst first: the answer to "did this change make anything worse?". */
  worse: CellVerdict[];
}

/** Metrics whose regression against the reference variant disqualifies a variant when the suite has no quality budget. */
const QUALITY_METRICS = new Set(['accuracy', 'hallucination', 'outOfDomain']);
const VERDICT_STANDING: Partial<Record<Verdict, CellStanding>> = { regressed: 'regressed', noisy: 'noisy', improved: 'improved', unchanged: 'unchanged' };
const rank = (standing: CellStanding) => CELL_STANDINGS.indexOf(standing);
const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;

/**
 * The report's decision, per run and device: the verdict of every variant (a failed cell, an error-level budget
 * that failed, a metric that regressed against the baseline, ...) and the variant to ship: among the variants that
 * ran, pass every error-level budget and whose quality did not regress against the reference variant, the Pareto
 * set over p50 latency, size on disk and agreement; from it the fastest, or a smaller one whose p50 is within the
 * suite's compare threshold of the fastest.
 */
export function decide(report: Report): RunDecision[] {
  return report.runs.map((run, i) => {
    const gate = report.gates[i];
    const againstReference = report.variantComparisons?.[i];
    const deviceIds = [...new Set(run.cells.map((c) => c.deviceId))];
    const devices = deviceIds.map((deviceId) => {
      const cells = run.cells.filter((c) => c.deviceId === deviceId);
      const verdicts = cells.map((cell) => cellVerdict(cell, gate)).sort((a, b) => rank(a.standing) - rank(b.standing));
      return { deviceId, ...choose(run, cells, gate, againstReference), cells: verdicts };
    });
    devices.sort((a, b) => rank(a.cells[0]?.standing ?? 'not compared') - rank(b.cells[0]?.standing ?? 'not compared'));
    const worse = devices
      .flatMap((d) => d.cells)
      .filter((c) => rank(c.standing) <= rank('regressed'))
      .sort((a, b) => rank(a.standing) - rank(b.standing));
    return { runId: run.runId, ...(gate?.baseline ? { baselineRunId: gate.baseline.runId } : {}), devices, worse };
  });
}

function cellVerdict(cell: CellResult, gate: GateReport | undefined): CellVerdict {
  const where = (x: { deviceId: string; variant: string }) => x.deviceId === cell.deviceId && x.variant === cell.variant.name;
  const base = { deviceId: cell.deviceId, variant: cell.variant.name };
  if (cell.status === 'failed')
    return { ...base, standing: 'failed', details: [`${cell.error?.code ?? 'FAILED'}: ${cell.error?.message ?? 'the cell failed'}`] };
  const overBudget = (gate?.budgets ?? []).filter((b) => where(b) && !b.passed && b.level === 'error' && !isFailOnCheck(b));
  const comparisons = (gate?.comparisons ?? []).filter(where);
  const moved = comparisons.filter((c) => c.verdict === 'regressed' || c.verdict === 'improved' || c.verdict === 'noisy');
  const details = [...overBudget.map((b) => `budget ${b.name}: ${b.message}`), ...moved.sort(byVerdict).map(describeChange)];
  if (overBudget.length) return { ...base, standing: 'over budget', details };
  if (!gate?.baseline || comparisons.length === 0) return { ...base, standing: 'not compared', details };
  const standing = comparisons.map((c) => VERDICT_STANDING[c.verdict] ?? 'unchanged').sort((a, b) => rank(a) - rank(b))[0]!;
  return { ...base, standing, details };
}

const byVerdict = (a: Comparison, b: Comparison) => rank(VERDICT_STANDING[a.verdict] ?? 'unchanged') - rank(VERDICT_STANDING[b.verdict] ?? 'unchanged');

function describeChange(c: Comparison): string {
  const ci = c.delta?.relativeCi95 ? ` [${pct(c.delta.relativeCi95.lower)}, ${pct(c.delta.relativeCi95.upper)}]` : '';
  return `${c.metric} ${c.verdict}${c.delta ? ` ${pct(c.delta.relative)}${ci}` : ''}`;
}

interface Candidate {
  variant: string;
  p50: number;
  disk: number;
  agreement?: number;
}

function choose(
  run: Results,
  cells: CellResult[],
  gate: GateReport | undefined,
  againstReference: { reference: string; comparisons: Comparison[] } | undefined,
): Pick<DeviceDecision, 'ship' | 'why' | 'excluded'> {
  const excluded: DeviceDecision['excluded'] = [];
  const candidates: Candidate[] = [];
  for (const cell of cells) {
    const variant = cell.variant.name;
    const latency = cell.metrics.latencyMs;
    if (cell.status === 'failed' || latency.source !== 'measured') {
      excluded.push({ variant, reason: cell.status === 'failed' ? `failed (${cell.error?.code ?? 'error'})` : 'no latency measured' });
      continue;
    }
    const budgets = (gate?.budgets ?? []).filter(
      (b) => b.deviceId === cell.deviceId && b.variant === variant && !b.passed && b.level === 'error' && !isFailOnCheck(b),
    );
    if (budgets.length) {
      excluded.push({ variant, reason: `fails budget ${budgets.map((b) => b.name).join(', ')}` });
      continue;
    }
    const lostQuality = (againstReference?.comparisons ?? []).filter(
      (c) => c.deviceId === cell.deviceId && c.variant === variant && QUALITY_METRICS.has(c.metric) && c.verdict === 'regressed',
    );
    if (lostQuality.length) {
      excluded.push({
        variant,
        reason: `${lostQuality.map((c) => `${c.metric} ${c.delta ? pct(c.delta.relative) : 'regressed'}`).join(', ')} against ${againstReference!.reference}`,
      });
      continue;
    }
    candidates.push({
      variant,
      p50: latency.summary.p50,
      disk: metricValue(cell.metrics.diskBytes) ?? Number.POSITIVE_INFINITY,
      ...(cell.quality?.agreement ? { agreement: cell.quality.agreement.value } : {}),
    });
  }
  if (candidates.length === 0) return { excluded, why: 'no variant ran and passed every budget' };
  const pareto = candidates.filter((c) => !candidates.some((o) => o !== c && dominates(o, c)));
  const fastest = pareto.reduce((a, b) => (b.p50 < a.p50 ? b : a));
  const threshold = run.suite.compare.threshold;
  // Within the compare threshold two p50s are not told apart: the smaller file wins.
  const ship = pareto.filter((c) => c.p50 <= fastest.p50 * (1 + threshold)).reduce((a, b) => (b.disk < a.disk ? b : a));
  return { ship: { variant: ship.variant, reason: reasonFor(ship, fastest, candidates, excluded.length, threshold) }, excluded };
}

/** At least as good on every axis and better on one; agreement counts only when both have it. */
function dominates(a: Candidate, b: Candidate): boolean {
  const both = a.agreement !== undefined && b.agreement !== undefined;
  const noWorse = a.p50 <= b.p50 && a.disk <= b.disk && (!both || a.agreement! >= b.agreement!);
  const better = a.p50 < b.p50 || a.disk < b.disk || (both && a.agreement! > b.agreement!);
  return noWorse && better;
}

function reasonFor(ship: Candidate, fastest: Candidate, all: Candidate[], excluded: number, threshold: number): string {
  const ms = (x: number) => `${x.toPrecision(3)} ms`;
  const pool = `${all.length} variant${all.length === 1 ? '' : 's'} that ${excluded ? 'ran, pass every budget and keep quality' : 'ran and pass every budget'}`;
  if (all.length === 1) return `the only one of the variants that ran and passed every budget and quality check (p50 ${ms(ship.p50)})`;
  const largest = all.reduce((a, b) => (b.disk > a.disk ? b : a));
  const smaller =
    largest.disk > ship.disk && Number.isFinite(largest.disk) ? `, ${(largest.disk / ship.disk).toFixed(1)}x smaller on disk than ${largest.variant}` : '';
  const slowest = all.reduce((a, b) => (b.p50 > a.p50 ? b : a));
  if (ship === fastest)
    return `fastest of the ${pool}: p50 ${ms(ship.p50)}${slowest !== ship ? ` against ${ms(slowest.p50)} for ${slowest.variant}` : ''}${smaller}`;
  return `smallest of the ${pool} within ${(threshold * 100).toFixed(0)}% of the fastest p50 (${ms(ship.p50)} against ${ms(fastest.p50)} for ${fastest.variant})${smaller}`;
}
