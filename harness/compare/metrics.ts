import type { FixedMetricName } from '../core/budget.ts';
import { metricValue, type LatencyMetric } from '../core/metric.ts';
import type { CellResult } from '../core/results.ts';
import { percentileOfSorted } from '../stats/percentile.ts';

export interface MetricReading {
  value: number;
  /** Raw samples, when the metric is a location of a sampled distribution (compared with Hodges-Lehmann). */
  samples?: number[];
  /**
   * The metric in each runner process (repeat) of the cell, by repeat number,
   * when the cell ran in more than one: compare's unit of replication.
   */
  perRepeat?: Map<number, number>;
  /** Per-example 0/1 outcomes, for paired tests (McNemar). */
  paired?: Map<string, boolean>;
  /**
   * The power model the value was estimated from (its name and parameters),
   * when it is an estimate: only estimates from the same model compare, and
   * never with a measured value.
   */
  estimatedFrom?: string;
}

export interface MetricDefinition {
  /** ppl: a perplexity (dimensionless); nats: an information quantity such as KL divergence. */
  unit: 'ms' | 'bytes' | 'share' | 'tokens/s' | 'mJ' | 'W' | 'ppl' | 'nats' | 'instructions';
  higherIsBetter: boolean;
  /** How the verdict is decided (see compare-runs.ts). */
  kind: 'sampled-median' | 'sampled-tail' | 'single' | 'exact' | 'counted' | 'paired-share';
  read(cell: CellResult): MetricReading | undefined;
  /** Why the cell has no value, for metrics a cell records as unavailable with a reason (energy): compare then says unavailable, not incomparable. */
  unavailable?(cell: CellResult): string | undefined;
}

const latency = (metric: LatencyMetric | undefined, p: 'p50' | 'p90' | 'p99') => (metric?.source === 'measured' ? metric.summary[p] : undefined);
const scalar = (cell: CellResult, key: 'loadMs' | 'peakRssBytes' | 'modelRssBytes' | 'diskBytes' | 'decodeTokensPerSecond') => {
  const metric = cell.metrics[key];
  return metric ? metricValue(metric) : undefined;
};
/**
 * A reading whose sample-derived parts are computed on first use and kept: budgets read only the
 * value, and a cell can hold 10^6 samples, so grouping and sorting them is left to the comparisons that need it.
 */
export function reading(value: number | undefined, extra: { [K in 'samples' | 'perRepeat']?: () => MetricReading[K] } = {}): MetricReading | undefined {
  if (value === undefined) return undefined;
  const out: MetricReading = { value };
  for (const [key, compute] of Object.entries(extra) as ['samples' | 'perRepeat', () => unknown][]) {
    Object.defineProperty(out, key, {
      enumerable: true,
      configurable: true,
      get() {
        const computed = compute();
        Object.defineProperty(out, key, { value: computed, enumerable: true, configurable: true, writable: true });
        return computed;
      },
    });
  }
  return out;
}

/** Takes the value(s) of one field out of a latency sample. */
export type SampleField = (s: CellResult['samples'][number]) => number | readonly number[] | undefined;

/**
 * The repeats whose samples make per-repeat values, undefined for all. A cell with paired rounds (run --ab
 * --paired) timed its first round in a process of its own and the others paired with the other variant, which
 * is several times less noisy (docs/compare-and-gate.md): its per-repeat values, compare's unit, come from the
 * paired rounds only, so every round it compares was timed the same way. The first still counts for memory and load.
 */
function timedAlike(cell: CellResult): ReadonlySet<number> | undefined {
  const paired = (cell.repeats ?? []).flatMap((r) => (r.pairedWith ? [r.repeat] : []));
  return paired.length > 0 ? new Set(paired) : undefined;
}

/** Each repeat's values, in one pass over the samples (appending in place: copying per sample is quadratic). */
export function valuesByRepeat(cell: CellResult, pick: SampleField): Map<number, number[]> {
  const byRepeat = new Map<number, number[]>();
  const counted = timedAlike(cell);
  for (const sample of cell.samples) {
    if (sample.repeat === undefined || (counted && !counted.has(sample.repeat))) continue;
    const picked = pick(sample);
    if (picked === undefined) continue;
    let values = byRepeat.get(sample.repeat);
    if (!values) byRepeat.set(sample.repeat, (values = []));
    if (typeof picked === 'number') values.push(picked);
    else for (const v of picked) values.push(v);
  }
  return byRepeat;
}

/**
 * Each repeat's values of one sample field, sorted, kept per samples array (results are not changed once read):
 * a cell's p50, p90 and p99, in compare, in the variant comparisons and in calibrate, all read the same columns.
 */
const sortedColumns = new WeakMap<CellResult['samples'], Map<SampleField, Map<number, Float64Array>>>();

function sortedByRepeat(cell: CellResult, pick: SampleField): Map<number, Float64Array> {
  let byPick = sortedColumns.get(cell.samples);
  if (!byPick) sortedColumns.set(cell.samples, (byPick = new Map()));
  let columns = byPick.get(pick);
  if (!columns) {
    columns = new Map();
    for (const [repeat, v] of valuesByRepeat(cell, pick)) if (v.length > 0) columns.set(repeat, Float64Array.from(v).sort());
    byPick.set(pick, columns);
  }
  return columns;
}

/** A percentile of each repeat's samples; `pick` takes the sampled value(s) out of one latency sample. */
export function perRepeatPercentile(cell: CellResult, p: number, pick: SampleField): MetricReading['perRepeat'] {
  const values = new Map<number, number>();
  for (const [repeat, sorted] of sortedByRepeat(cell, pick)) values.set(repeat, percentileOfSorted(sorted, p));
  return values.size > 1 ? values : undefined;
}

/** A single-valued measurement of each repeat (load time, memory). */
function perRepeatValue(cell: CellResult, key: 'loadMs' | 'peakRssBytes' | 'modelRssBytes'): MetricReading['perRepeat'] {
  const values = new Map((cell.repeats ?? []).flatMap((r) => (r.status === 'ok' && r[key] !== undefined ? [[r.repeat, r[key]!] as const] : [])));
  return values.size > 1 ? values : undefined;
}

/** Decode tokens per second of each repeat: its decode steps over their summed time. */
function perRepeatThroughput(cell: CellResult): MetricReading['perRepeat'] {
  const steps = valuesByRepeat(cell, (s) => (s.decodeMs?.length ? s.decodeMs : undefined));
  const values = new Map([...steps].map(([repeat, ms]) => [repeat, (ms.length * 1000) / ms.reduce((a, b) => a + b, 0)]));
  return values.size > 1 ? values : undefined;
}

/** Every value a sample field holds, in sample order. */
export function sampled(cell: CellResult, pick: SampleField): number[] {
  const out: number[] = [];
  for (const sample of cell.samples) {
    const picked = pick(sample);
    if (typeof picked === 'number') out.push(picked);
    else if (picked) for (const v of picked) out.push(v);
  }
  return out;
}

const latencyOf = (s: CellResult['samples'][number]) => s.latencyMs;
const ttftOf = (s: CellResult['samples'][number]) => s.ttftMs;
const decodeOf = (s: CellResult['samples'][number]) => s.decodeMs;

/** A location of a sampled distribution: the raw samples (for within-run tests) and each repeat's percentile p. */
const sampledReading = (value: number | undefined, cell: CellResult, p: number, pick: SampleField) =>
  reading(value, { samples: () => sampled(cell, pick), perRepeat: () => perRepeatPercentile(cell, p, pick) });

type EnergyKey = 'energyPerInferenceMj' | 'energyPerTokenMj' | 'averagePowerWatts';

/** The power model of an estimated cell, as its probes described it ("CPU time x <name>: <parameters>"). */
const powerModelOf = (cell: CellResult) =>
  cell.repeats?.flatMap((r) => (r.probes?.energy.source === 'estimated' ? [r.probes.energy.from] : []))[0] ?? 'an unnamed power model';

/** Each repeat's energy per inference (mJ) or average power (W) over its timed phase, from its probe record. */
function perRepeatEnergy(cell: CellResult, key: EnergyKey): MetricReading['perRepeat'] {
  if (key === 'energyPerTokenMj') return undefined;
  const iterationsOf = new Map<number, number>();
  for (const s of cell.samples) if (s.repeat !== undefined) iterationsOf.set(s.repeat, (iterationsOf.get(s.repeat) ?? 0) + 1);
  const values = new Map(
    (cell.repeats ?? []).flatMap((r) => {
      const energy = r.probes?.energy;
      const window = r.probes?.timedWindowMs;
      const iterations = iterationsOf.get(r.repeat) ?? 0;
      if (r.status !== 'ok' || !energy || energy.source === 'unavailable' || !window || iterations === 0) return [];
      return [[r.repeat, key === 'averagePowerWatts' ? energy.joules / ((window.end - window.start) / 1000) : (energy.joules * 1000) / iterations] as const];
    }),
  );
  return values.size > 1 ? values : undefined;
}

/** Energy metrics: measured or estimated values only; unavailable ones carry their reason instead of a number. */
function energyMetric(key: EnergyKey, unit: 'mJ' | 'W'): MetricDefinition {
  return {
    unit,
    higherIsBetter: false,
    kind: 'single',
    read(cell) {
      const metric = cell.metrics[key];
      if (!metric || metric.source === 'unavailable') return undefined;
      const out = reading(metric.value, { perRepeat: () => perRepeatEnergy(cell, key) })!;
      if (metric.source === 'estimated') out.estimatedFrom = powerModelOf(cell);
      return out;
    },
    unavailable: (cell) => {
      const metric = cell.metrics[key];
      return metric?.source === 'unavailable' ? metric.reason : undefined;
    },
  };
}

/** perplexity task: a figure of the cell's perplexity score (quality.perplexity), deterministic for a variant on a device. */
function perplexityMetric(
  higherIsBetter: boolean,
  pick: (score: NonNullable<NonNullable<CellResult['quality']>['perplexity']>) => number | undefined,
): MetricDefinition {
  return {
    unit: 'share',
    higherIsBetter,
    kind: 'single',
    read: (c) => {
      const score = c.quality?.perplexity;
      return reading(score ? pick(score) : undefined);
    },
  };
}

/** Every fixed metric compare and budgets understand, and how to read it from a cell; workload metrics are in workload-metrics.ts. */
export const METRICS: Record<FixedMetricName, MetricDefinition> = {
  'latency.p50': {
    unit: 'ms',
    higherIsBetter: false,
    kind: 'sampled-median',
    read: (c) => sampledReading(latency(c.metrics.latencyMs, 'p50'), c, 0.5, latencyOf),
  },
  'latency.p90': {
    unit: 'ms',
    higherIsBetter: false,
    kind: 'sampled-tail',
    read: (c) => sampledReading(latency(c.metrics.latencyMs, 'p90'), c, 0.9, latencyOf),
  },
  'latency.p99': {
    unit: 'ms',
    higherIsBetter: false,
    kind: 'sampled-tail',
    read: (c) => sampledReading(latency(c.metrics.latencyMs, 'p99'), c, 0.99, latencyOf),
  },
  'ttft.p50': { unit: 'ms', higherIsBetter: false, kind: 'sampled-median', read: (c) => sampledReading(latency(c.metrics.ttftMs, 'p50'), c, 0.5, ttftOf) },
  'decodeToken.p50': {
    unit: 'ms',
    higherIsBetter: false,
    kind: 'sampled-median',
    read: (c) => sampledReading(latency(c.metrics.decodeTokenMs, 'p50'), c, 0.5, decodeOf),
  },
  decodeTokensPerSecond: {
    unit: 'tokens/s',
    higherIsBetter: true,
    kind: 'single',
    read: (c) => reading(scalar(c, 'decodeTokensPerSecond'), { perRepeat: () => perRepeatThroughput(c) }),
  },
  loadMs: { unit: 'ms', higherIsBetter: false, kind: 'single', read: (c) => reading(scalar(c, 'loadMs'), { perRepeat: () => perRepeatValue(c, 'loadMs') }) },
  peakRssBytes: {
    unit: 'bytes',
    higherIsBetter: false,
    kind: 'single',
    read: (c) => reading(scalar(c, 'peakRssBytes'), { perRepeat: () => perRepeatValue(c, 'peakRssBytes') }),
  },
  modelRssBytes: {
    unit: 'bytes',
    higherIsBetter: false,
    kind: 'single',
    read: (c) => reading(scalar(c, 'modelRssBytes'), { perRepeat: () => perRepeatValue(c, 'modelRssBytes') }),
  },
  diskBytes: { unit: 'bytes', higherIsBetter: false, kind: 'exact', read: (c) => reading(scalar(c, 'diskBytes')) },
  accuracy: {
    unit: 'share',
    higherIsBetter: true,
    kind: 'paired-share',
    read: (c) => {
      const agreement = c.quality?.agreement;
      if (!agreement) return undefined;
      // Paired tests need per-example right/wrong; token F1 is not binary, so it compares by value only.
      const binary = agreement.metric !== 'token-f1';
      return { value: agreement.value, ...(binary ? { paired: new Map(agreement.perExample.map((e) => [e.exampleId, e.score === 1])) } : {}) };
    },
  },
  energyPerInferenceMj: energyMetric('energyPerInferenceMj', 'mJ'),
  energyPerTokenMj: energyMetric('energyPerTokenMj', 'mJ'),
  averagePowerWatts: energyMetric('averagePowerWatts', 'W'),
  // Counted, not sampled: equal within compare's instructionsTolerance means unchanged, with no statistics.
  instructions: {
    unit: 'instructions',
    higherIsBetter: false,
    kind: 'counted',
    read: (c) => (c.metrics.instructions?.source === 'measured' ? { value: c.metrics.instructions.value } : undefined),
    unavailable: (c) => (c.metrics.instructions?.source === 'unavailable' ? c.metrics.instructions.reason : undefined),
  },
  hallucination: {
    unit: 'share',
    higherIsBetter: false,
    kind: 'paired-share',
    read: (c) =>
      c.quality?.hallucination
        ? { value: c.quality.hallucination.rate, paired: new Map(c.quality.hallucination.perExample.map((e) => [e.exampleId, !e.flagged])) }
        : undefined,
  },
  klDivergence: {
    unit: 'nats',
    higherIsBetter: false,
    kind: 'single',
    read: (c) => (c.quality?.fidelity ? { value: c.quality.fidelity.meanKlDivergence } : undefined),
  },
  top1Agreement: {
    unit: 'share',
    higherIsBetter: true,
    kind: 'single',
    read: (c) => (c.quality?.fidelity ? { value: c.quality.fidelity.top1Agreement } : undefined),
  },
  outOfDomain: {
    unit: 'share',
    higherIsBetter: false,
    kind: 'paired-share',
    read: (c) =>
      c.quality?.outOfDomain
        ? { value: c.quality.outOfDomain.rate, paired: new Map(c.quality.outOfDomain.perExample.map((e) => [e.exampleId, !e.flagged])) }
        : undefined,
  },
  perplexity: { ...perplexityMetric(false, (s) => s.value), unit: 'ppl' },
  'kld.mean': { ...perplexityMetric(false, (s) => s.divergence?.kld.mean), unit: 'nats' },
  'kld.p99': { ...perplexityMetric(false, (s) => s.divergence?.kld.p99), unit: 'nats' },
  sameTop1: perplexityMetric(true, (s) => s.divergence?.sameTop1),
};
