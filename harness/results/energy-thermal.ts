import type { CellThermal } from '../core/cell-thermal.ts';
import type { RepeatProbes, Trace } from '../core/probe-readings.ts';
import { median } from '../stats/percentile.ts';
import { measured, unavailable, type Metric } from '../core/metric.ts';

interface ProbedRun {
  repeat: number;
  probes?: RepeatProbes;
  samples: { latencyMs: number; ttftMs?: number; decodeMs?: number[] }[];
}

export interface EnergyThermalMetrics {
  energyPerInferenceMj?: Metric;
  energyPerTokenMj?: Metric;
  averagePowerWatts?: Metric;
  temperatureStartC?: Metric;
  temperatureEndC?: Metric;
  throttlingEvents?: Metric;
}

/** The trace's first value at or after `ms` (its last value if none), and its last at or before (its first if none). */
function firstFrom(trace: Trace, ms: number | undefined): number {
  return (ms === undefined ? trace[0] : (trace.find(([t]) => t >= ms) ?? trace.at(-1)))![1];
}
function lastUntil(trace: Trace, ms: number | undefined): number {
  return (ms === undefined ? trace.at(-1) : ([...trace].reverse().find(([t]) => t <= ms) ?? trace[0]))![1];
}

/**
 * A cell's energy and thermal metrics from its runner processes' probe
 * records: energy over each timed phase divided by its iterations (and by its
 * generated tokens), temperatures at the phase's edges, throttling events;
 * the median (or sum) over processes. `failure` is why the cell failed, if it did.
 */
export function energyThermal(runs: ProbedRun[], failure: string): { metrics: EnergyThermalMetrics; thermal?: CellThermal } {
  const probed = runs.filter((r): r is ProbedRun & { probes: RepeatProbes } => r.probes !== undefined);
  if (probed.length === 0) return { metrics: {} };
  const across = (how: string, n: number) => (n > 1 ? `; ${how} of ${n} runner processes` : '');
  const cost = costOf(probed);
  const sampledAt = cost.rateHz > 0 ? `; sampled at ${cost.rateHz} Hz in the edgebench process beside the runner` : '';
  const generates = runs.some((r) => r.samples.some((s) => s.ttftMs !== undefined || s.decodeMs !== undefined));
  const metrics: EnergyThermalMetrics = {};

  // Energy per process; processes measured by another probe than the first one's (a meter that failed once) are not mixed in.
  const energy = probed.flatMap((r) => {
    const e = r.probes.energy;
    const window = r.probes.timedWindowMs;
    if (e.source === 'unavailable' || !window || r.samples.length === 0) return [];
    const tokens = r.samples.reduce((sum, s) => sum + (s.ttftMs !== undefined ? 1 : 0) + (s.decodeMs?.length ?? 0), 0);
    return [
      {
        reading: e,
        perInferenceMj: (e.joules * 1000) / r.samples.length,
        perTokenMj: tokens > 0 ? (e.joules * 1000) / tokens : undefined,
        watts: e.joules / ((window.end - window.start) / 1000),
      },
    ];
  });
  const energyWhy =
    failure ||
    probed
      .map((r) =>
        r.probes.energy.source === 'unavailable'
          ? r.probes.energy.reason
          : !r.probes.timedWindowMs
            ? 'the runner reported no timed phase to measure over (the page runner in a browser does not, nor a runner that failed before it)'
            : undefined,
      )
      .find(Boolean) ||
    'no timed iterations completed';
  if (!failure && energy.length > 0) {
    const first = energy[0]!.reading;
    const same = energy.filter((e) => e.reading.probe === first.probe);
    const label = (what: string, how: string) =>
      first.source === 'measured' ? `${first.method}: ${what}${across(how, same.length)}${sampledAt}` : `${first.from}: ${what}${across(how, same.length)}`;
    const metric = (value: number, unit: 'millijoules' | 'watts', what: string): Metric =>
      first.source === 'measured' ? measured(value, unit, label(what, 'median')) : { source: 'estimated', value, unit, from: label(what, 'median') };
    metrics.energyPerInferenceMj = metric(median(same.map((e) => e.perInferenceMj)), 'millijoules', 'energy over the timed phase / its iterations');
    metrics.averagePowerWatts = metric(median(same.map((e) => e.watts)), 'watts', 'energy over the timed phase / its duration');
    if (generates) {
      const perToken = same.flatMap((e) => (e.perTokenMj !== undefined ? [e.perTokenMj] : []));
      metrics.energyPerTokenMj = perToken.length
        ? metric(median(perToken), 'millijoules', 'energy over the timed phase / the tokens it generated')
        : unavailable('millijoules', 'no tokens were generated');
    }
  } else {
    metrics.energyPerInferenceMj = unavailable('millijoules', energyWhy);
    metrics.averagePowerWatts = unavailable('watts', energyWhy);
    if (generates) metrics.energyPerTokenMj = unavailable('millijoules', energyWhy);
  }

  const temperatures = probed.flatMap((r) => {
    const t = r.probes.temperature;
    return t.source === 'measured' && t.trace.length > 0
      ? [{ t, start: firstFrom(t.trace, r.probes.timedWindowMs?.start), end: lastUntil(t.trace, r.probes.timedWindowMs?.end) }]
      : [];
  });
  if (!failure && temperatures.length > 0) {
    const method = temperatures[0]!.t.method;
    metrics.temperatureStartC = measured(
      median(temperatures.map((x) => x.start)),
      'celsius',
      `${method}: at the start of the timed phase${across('median', temperatures.length)}${sampledAt}`,
    );
    metrics.temperatureEndC = measured(
      median(temperatures.map((x) => x.end)),
      'celsius',
      `${method}: at the end of the timed phase${across('median', temperatures.length)}${sampledAt}`,
    );
  } else {
    const why =
      failure ||
      probed.map((r) => (r.probes.temperature.source === 'unavailable' ? r.probes.temperature.reason : undefined)).find(Boolean) ||
      'no temperature samples';
    metrics.temperatureStartC = unavailable('celsius', why);
    metrics.temperatureEndC = unavailable('celsius', why);
  }

  const throttled = probed.flatMap((r) => (r.probes.throttling.source === 'measured' ? [r.probes.throttling] : []));
  const throttleWhy = probed.map((r) => (r.probes.throttling.source === 'unavailable' ? r.probes.throttling.reason : undefined)).find(Boolean);
  metrics.throttlingEvents =
    throttled.length === probed.length
      ? measured(
          throttled.reduce((n, t) => n + t.events.length, 0),
          'count',
          `${throttled[0]!.method}${across('sum', throttled.length)}${sampledAt}`,
        )
      : unavailable('count', throttleWhy ?? 'not sampled');

  return { metrics, thermal: { where: probed[0]!.probes.where, ...gatingOf(probed), ...throttlingOf(probed, throttleWhy), probeCost: cost } };
}

function costOf(probed: { probes: RepeatProbes }[]): CellThermal['probeCost'] {
  const samples = probed.reduce((n, r) => n + r.probes.cost.samples, 0);
  const meanMs = samples ? probed.reduce((sum, r) => sum + r.probes.cost.meanMs * r.probes.cost.samples, 0) / samples : 0;
  return {
    rateHz: Math.max(...probed.map((r) => r.probes.cost.rateHz)),
    samples,
    // Weighted the other way round when the products overflow: the mean of finite costs is finite.
    meanMs: Number.isFinite(meanMs) ? meanMs : probed.reduce((sum, r) => sum + r.probes.cost.meanMs * (r.probes.cost.samples / samples), 0),
    maxMs: Math.max(...probed.map((r) => r.probes.cost.maxMs)),
  };
}

/** The cell's gating: any process that timed out makes it timed-out; then no sensor; then gate off; else gated. */
function gatingOf(probed: { probes: RepeatProbes }[]): Pick<CellThermal, 'gating' | 'gatingNote'> {
  const gates = probed.map((r) => r.probes.gate);
  for (const status of ['timed-out', 'no-sensor', 'off'] as const) {
    const hit = gates.filter((g) => g.status === status);
    if (hit.length > 0)
      return { gating: status, gatingNote: `${hit[0]!.note}${gates.length > 1 ? ` (${hit.length} of ${gates.length} runner processes)` : ''}` };
  }
  const longest = Math.max(...gates.map((g) => g.waitedMs));
  return { gating: 'gated', gatingNote: `gated before each of ${gates.length} runner process(es); longest wait ${(longest / 1000).toFixed(1)} s` };
}

function throttlingOf(probed: { probes: RepeatProbes }[], unknownWhy: string | undefined): Pick<CellThermal, 'throttling' | 'throttlingNote'> {
  const readings = probed.map((r) => r.probes.throttling);
  if (readings.some((t) => t.source === 'unavailable')) return { throttling: 'unknown', throttlingNote: unknownWhy ?? 'not sampled' };
  const measuredReadings = readings.flatMap((t) => (t.source === 'measured' ? [t] : []));
  const events = measuredReadings.flatMap((t) => t.events);
  const samples = measuredReadings.reduce((n, t) => n + t.samples, 0);
  if (events.length === 0)
    return { throttling: 'none', throttlingNote: samples > 0 ? 'no busy core ran throttled' : 'no frequency samples in the timed phase' };
  const worst = events.reduce((a, b) => (b.lowestRatio < a.lowestRatio ? b : a));
  const hit = measuredReadings.filter((t) => t.events.length > 0).length;
  return {
    throttling: 'throttled',
    throttlingNote: `${events.length} throttling event(s) in ${hit} of ${readings.length} runner process(es); cpu${worst.cpu} down to ${(worst.lowestRatio * 100).toFixed(0)}% of its maximum frequency`,
  };
}
