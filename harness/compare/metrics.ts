import type { MetricName } from '../config/budget.ts';
import { metricValue, type LatencyMetric } from '../results/metric.ts';
import type { CellResult } from '../results/schema.ts';
import { percentileOfSorted, sortAscending } from '../stats/percentile.ts';

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
  unit: 'ms' | 'bytes' | 'share' | 'tokens/s' | 'mJ' | 'W';
  higherIsBetter: boolean;
  /** How the verdict is decided (see compare-runs.ts). */
  kind: 'sampled-median' | 'sampled-tail' | 'single' | 'exact' | 'paired-share';
  read(cell: CellResult): MetricReading | undefined;
  /** Why the cell has no value, for metrics a cell records as unavailable with a reason (energy): compare then says unavailable, not incomparable. */
  unavailable?(cell: CellResult): string | undefined;
}

const latency = (metric: LatencyMetric | undefined, p: 'p50' | 'p90' | 'p99') => (metric?.source === 'measured' ? metric.summary[p] : undefined);
const scalar = (cell: CellResult, key: 'loadMs' | 'peakRssBytes' | 'modelRssBytes' | 'diskBytes' | 'decodeTokensPerSecond') => {
  const metric = cell.metrics[key];
  return metric ? metricValue(metric) : undefined;
};
const reading = (value: number | undefined, extra: Omit<MetricReading, 'value'> = {}): MetricReading | undefined => (value === undefined ? undefined : { value, ...extra });

/** A percentile of each repeat's samples; `pick` takes the sampled values out of one latency sample. */
function perRepeatPercentile(cell: CellResult, p: number, pick: (s: CellResult['samples'][number]) => number[]): Pick<MetricReading, 'perRepeat'> {
  const byRepeat = new Map<number, number[]>();
  for (const sample of cell.samples) if (sample.repeat !== undefined) byRepeat.set(sample.repeat, [...(byRepeat.get(sample.repeat) ?? []), ...pick(sample)]);
  const values = new Map([...byRepeat].filter(([, v]) => v.length > 0).map(([repeat, v]) => [repeat, percentileOfSorted(sortAscending(v), p)]));
  return values.size > 1 ? { perRepeat: values } : {};
}

/** A single-valued measurement of each repeat (load time, memory). */
function perRepeatValue(cell: CellResult, key: 'loadMs' | 'peakRssBytes' | 'modelRssBytes'): Pick<MetricReading, 'perRepeat'> {
  const values = new Map((cell.repeats ?? []).flatMap((r) => (r.status === 'ok' && r[key] !== undefined ? [[r.repeat, r[key]!] as const] : [])));
  return values.size > 1 ? { perRepeat: values } : {};
}

/** Decode tokens per second of each repeat: its decode steps over their summed time. */
function perRepeatThroughput(cell: CellResult): Pick<MetricReading, 'perRepeat'> {
  const steps = new Map<number, number[]>();
  for (const sample of cell.samples) if (sample.repeat !== undefined && sample.decodeMs?.length) steps.set(sample.repeat, [...(steps.get(sample.repeat) ?? []), ...sample.decodeMs]);
  const values = new Map([...steps].map(([repeat, ms]) => [repeat, (ms.length * 1000) / ms.reduce((a, b) => a + b, 0)]));
  return values.size > 1 ? { perRepeat: values } : {};
}

const latencyOf = (s: CellResult['samples'][number]) => [s.latencyMs];

type EnergyKey = 'energyPerInferenceMj' | 'energyPerTokenMj' | 'averagePowerWatts';

/** The power model of an estimated cell, as its probes described it ("CPU time x <name>: <parameters>"). */
const powerModelOf = (cell: CellResult) => cell.repeats?.flatMap((r) => (r.probes?.energy.source === 'estimated' ? [r.probes.energy.from] : []))[0] ?? 'an unnamed power model';

/** Each repeat's energy per inference (mJ) or average power (W) over its timed phase, from its probe record. */
function perRepeatEnergy(cell: CellResult, key: EnergyKey): Pick<MetricReading, 'perRepeat'> {
  if (key === 'energyPerTokenMj') return {};
  const values = new Map(
    (cell.repeats ?? []).flatMap((r) => {
      const energy = r.probes?.energy;
      const window = r.probes?.timedWindowMs;
      const iterations = cell.samples.filter((s) => s.repeat === r.repeat).length;
      if (r.status !== 'ok' || !energy || energy.source === 'unavailable' || !window || iterations === 0) return [];
      return [[r.repeat, key === 'averagePowerWatts' ? energy.joules / ((window.end - window.start) / 1000) : (energy.joules * 1000) / iterations] as const];
    }),
  );
  return values.size > 1 ? { perRepeat: values } : {};
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
      return { value: metric.value, ...(metric.source === 'estimated' ? { estimatedFrom: powerModelOf(cell) } : {}), ...perRepeatEnergy(cell, key) };
    },
    unavailable: (cell) => {
      const metric = cell.metrics[key];
      return metric?.source === 'unavailable' ? metric.reason : undefined;
    },
  };
}

/** Every metric compare and budgets understand, and how to read it from a cell. */
export const METRICS: Record<MetricName, MetricDefinition> = {
  'latency.p50': { unit: 'ms', higherIsBetter: false, kind: 'sampled-median', read: (c) => reading(latency(c.metrics.latencyMs, 'p50'), { samples: c.samples.map((s) => s.latencyMs), ...perRepeatPercentile(c, 0.5, latencyOf) }) },
  'latency.p90': { unit: 'ms', higherIsBetter: false, kind: 'sampled-tail', read: (c) => reading(latency(c.metrics.latencyMs, 'p90'), { samples: c.samples.map((s) => s.latencyMs), ...perRepeatPercentile(c, 0.9, latencyOf) }) },
  'latency.p99': { unit: 'ms', higherIsBetter: false, kind: 'sampled-tail', read: (c) => reading(latency(c.metrics.latencyMs, 'p99'), { samples: c.samples.map((s) => s.latencyMs), ...perRepeatPercentile(c, 0.99, latencyOf) }) },
  'ttft.p50': { unit: 'ms', higherIsBetter: false, kind: 'sampled-median', read: (c) => reading(latency(c.metrics.ttftMs, 'p50'), { samples: c.samples.flatMap((s) => (s.ttftMs !== undefined ? [s.ttftMs] : [])), ...perRepeatPercentile(c, 0.5, (s) => (s.ttftMs !== undefined ? [s.ttftMs] : [])) }) },
  'decodeToken.p50': { unit: 'ms', higherIsBetter: false, kind: 'sampled-median', read: (c) => reading(latency(c.metrics.decodeTokenMs, 'p50'), { samples: c.samples.flatMap((s) => s.decodeMs ?? []), ...perRepeatPercentile(c, 0.5, (s) => s.decodeMs ?? []) }) },
  decodeTokensPerSecond: { unit: 'tokens/s', higherIsBetter: true, kind: 'single', read: (c) => reading(scalar(c, 'decodeTokensPerSecond'), perRepeatThroughput(c)) },
  loadMs: { unit: 'ms', higherIsBetter: false, kind: 'single', read: (c) => reading(scalar(c, 'loadMs'), perRepeatValue(c, 'loadMs')) },
  peakRssBytes: { unit: 'bytes', higherIsBetter: false, kind: 'single', read: (c) => reading(scalar(c, 'peakRssBytes'), perRepeatValue(c, 'peakRssBytes')) },
  modelRssBytes: { unit: 'bytes', higherIsBetter: false, kind: 'single', read: (c) => reading(scalar(c, 'modelRssBytes'), perRepeatValue(c, 'modelRssBytes')) },
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
  hallucination: {
    unit: 'share',
    higherIsBetter: false,
    kind: 'paired-share',
    read: (c) => (c.quality?.hallucination ? { value: c.quality.hallucination.rate, paired: new Map(c.quality.hallucination.perExample.map((e) => [e.exampleId, !e.flagged])) } : undefined),
  },
  outOfDomain: {
    unit: 'share',
    higherIsBetter: false,
    kind: 'paired-share',
    read: (c) => (c.quality?.outOfDomain ? { value: c.quality.outOfDomain.rate, paired: new Map(c.quality.outOfDomain.perExample.map((e) => [e.exampleId, !e.flagged])) } : undefined),
  },
};
