import { FixedMetricName, type CompareOptions } from '../core/budget.ts';
import type { Results } from '../core/results.ts';
import { holmAdjust } from '../stats/multiple-comparisons.ts';
import { median } from '../stats/percentile.ts';
import { signedRankTest } from '../stats/wilcoxon-signed-rank.ts';
import { METRICS } from './metrics.ts';
import type { Comparison } from '../core/comparison.ts';
import { thermalReason } from './comparability.ts';
import { pct, verdictOfChange } from './verdict.ts';
import { SEQUENTIAL_METHOD, sequentialMeasure, sequentialVerdict, type SequentialMeasure } from './sequential-verdict.ts';
import { compareToReference } from './compare-variants.ts';

/** Metrics an interleaved A/B run pairs round by round. */
export const PAIRED_METRICS: FixedMetricName[] = [
  'latency.p50',
  'latency.p90',
  'latency.p99',
  'ttft.p50',
  'decodeToken.p50',
  'decodeTokensPerSecond',
  'energyPerInferenceMj',
  'averagePowerWatts',
];

/**
 * What an A/B run compares cell to cell instead: every other metric (memory, load time, size, quality, energy per
 * token, instruction counts). Rounds do not pair these: paired rounds read memory and load time in their first
 * round only, and a variant's outputs are the same every round. Decided as compare decides two variants of one
 * run, A standing in as the baseline, so the default gate's peak memory and quality checks hold for gate too.
 */
export const CELL_METRICS: FixedMetricName[] = FixedMetricName.options.filter((m) => !PAIRED_METRICS.includes(m));

function compareCells(results: Results, options: CompareOptions): Comparison[] {
  const ab = results.ab!;
  const both = { ...results, cells: results.cells.filter((c) => c.variant.name === ab.a || c.variant.name === ab.b) };
  // A and B are different models by construction, and may run on different runtimes (ONNX against GGUF).
  return compareToReference(both, ab.a, { only: new Set(CELL_METRICS), allowDifferent: ['runtime'], options });
}

/**
 * Interleaved A/B: A and B ran alternately in rounds on the same device, so
 * each round's B/A ratio cancels the drift both saw. The change is the
 * Hodges-Lehmann estimate of the per-round log ratios, with its
 * distribution-free CI and the Wilcoxon signed-rank test: rank-based, so a
 * round that background load ruined cannot swamp the rest (a test on the mean
 * could not catch a 5% slowdown reliably on a busy 2-core machine). Verdicts
 * follow the same threshold and Holm-adjusted alpha as compare between runs.
 */
export function compareInterleaved(results: Results, options: CompareOptions): Comparison[] {
  const ab = results.ab!;
  const found: { comparison: Comparison; measure?: SequentialMeasure }[] = [];
  const sequential = ab.sequential;
  const incomparable: Comparison[] = [];
  for (const deviceId of [...new Set(results.cells.map((c) => c.deviceId))]) {
    const cellOf = (variant: string) => results.cells.find((c) => c.deviceId === deviceId && c.variant.name === variant && c.status === 'ok');
    // A and B ran side by side, but one of them may still have run hot or throttled: then no verdict.
    const thermal = thermalReason(cellOf(ab.a) ?? {}, cellOf(ab.b) ?? {});
    for (const metric of PAIRED_METRICS) {
      const definition = METRICS[metric];
      if (thermal) {
        if (cellOf(ab.b) && definition.read(cellOf(ab.b)!))
          incomparable.push({
            deviceId,
            variant: ab.b,
            metric,
            unit: definition.unit,
            higherIsBetter: definition.higherIsBetter,
            verdict: 'incomparable',
            rule: thermal,
          });
        continue;
      }
      // An energy figure either variant could not obtain: said, with the reason, instead of a number.
      const missing = [ab.a, ab.b].flatMap((variant) => {
        const cell = cellOf(variant);
        const why = cell && !definition.read(cell) ? definition.unavailable?.(cell) : undefined;
        return why ? [`${variant}: ${why}`] : [];
      });
      if (missing.length > 0) {
        incomparable.push({
          deviceId,
          variant: ab.b,
          metric,
          unit: definition.unit,
          higherIsBetter: definition.higherIsBetter,
          verdict: 'unavailable',
          rule: `unavailable on ${missing.join('; ')}`,
        });
        continue;
      }
      // Repeat r of B ran right beside repeat r of A (AB, BA, ...): those are the pairs.
      const perRepeat = (variant: string) => {
        const cell = results.cells.find((c) => c.deviceId === deviceId && c.variant.name === variant && c.status === 'ok');
        return (cell && definition.read(cell)?.perRepeat) ?? new Map<number, number>();
      };
      const a = perRepeat(ab.a);
      const b = perRepeat(ab.b);
      const estimated = [ab.a, ab.b].map((variant) => (cellOf(variant) ? definition.read(cellOf(variant)!)?.estimatedFrom : undefined));
      // The same device's probes measured both: an estimate on one side and not the other means a probe failed between rounds.
      if (estimated[0] !== estimated[1]) continue;
      const rounds = [...a.keys()].filter((r) => a.get(r)! > 0 && b.get(r) !== undefined && b.get(r)! > 0);
      if (rounds.length < 2) continue;
      const logRatios = rounds.map((r) => Math.log(b.get(r)! / a.get(r)!));
      if (sequential) {
        // Rounds stopped when a test decided: only an anytime-valid test keeps its error rates at whatever round that was.
        const measure = sequentialMeasure(logRatios, sequential.futility);
        const medianOf = (side: Map<number, number>) => median(rounds.map((r) => side.get(r)!));
        found.push({
          measure,
          comparison: {
            deviceId,
            variant: ab.b,
            metric,
            unit: definition.unit,
            higherIsBetter: definition.higherIsBetter,
            ...(estimated[0] ? { estimated: estimated[0] } : {}),
            baseline: { value: medianOf(a), n: rounds.length },
            candidate: { value: medianOf(b), n: rounds.length },
            delta: {
              absolute: medianOf(b) - medianOf(a),
              relative: measure.change,
              // Early rounds may not bound the change at 95% yet (an open end): results hold only finite intervals.
              ...(Number.isFinite(measure.ci95.lower) && Number.isFinite(measure.ci95.upper) ? { relativeCi95: measure.ci95 } : {}),
              method: `median of the ${rounds.length} per-round ratios ${ab.b}/${ab.a}, with the ${SEQUENTIAL_METHOD}`,
            },
            pValue: measure.pValue,
            verdict: 'unchanged',
            rule: '',
          },
        });
        continue;
      }
      const test = signedRankTest(logRatios);
      // Below 6 rounds no 95% CI exists: every sign pattern is too likely.
      const ci =
        Number.isFinite(test.lower) && Number.isFinite(test.upper)
          ? { relativeCi95: { lower: Math.exp(test.lower) - 1, upper: Math.exp(test.upper) - 1 } }
          : {};
      found.push({
        comparison: {
          deviceId,
          variant: ab.b,
          metric: `${metric}`,
          unit: definition.unit,
          higherIsBetter: definition.higherIsBetter,
          ...(estimated[0] ? { estimated: estimated[0] } : {}),
          baseline: { value: median(rounds.map((r) => a.get(r)!)), n: rounds.length },
          candidate: { value: median(rounds.map((r) => b.get(r)!)), n: rounds.length },
          delta: {
            absolute: median(rounds.map((r) => b.get(r)!)) - median(rounds.map((r) => a.get(r)!)),
            relative: Math.exp(test.estimate) - 1,
            ...ci,
            method: `Hodges-Lehmann estimate of the ${rounds.length} per-round log ratios ${ab.b}/${ab.a}, with its distribution-free CI`,
          },
          pValue: test.pValue,
          verdict: 'unchanged',
          rule: '',
        },
      });
    }
  }
  const adjusted = found.length > 0 ? holmAdjust(found.map((f) => f.comparison.pValue!)) : [];
  const verdicts = found.map(({ comparison, measure }, i) => {
    const p = adjusted[i]!;
    const { relative, relativeCi95 } = comparison.delta!;
    const rounds = `${ab.b} vs ${ab.a} over ${comparison.baseline!.n} paired rounds`;
    if (sequential && measure) {
      const stopped = sequential.devices.find((d) => d.deviceId === comparison.deviceId);
      const why = stopped ? ` (${stopped.stopped}: ${stopped.reason})` : '';
      const stats = `${rounds} of at most ${sequential.maxRounds}${why}: ${pct(relative)} [${pct(measure.ci95.lower)}, ${pct(measure.ci95.upper)}] (95% confidence sequence), anytime p ${p.toPrecision(2)} (Holm)`;
      const decided = sequentialVerdict({
        stats,
        measure,
        adjustedP: p,
        alpha: options.alpha,
        threshold: sequential.threshold,
        higherIsBetter: comparison.higherIsBetter,
        futility: sequential.futility,
      });
      return { ...comparison, adjustedPValue: p, ...decided };
    }
    if (!relativeCi95)
      return {
        ...comparison,
        adjustedPValue: p,
        verdict: 'noisy' as const,
        rule: `${rounds}: ${pct(relative)}, too few rounds for a 95% CI; use --rounds 6 or more (40 by default)`,
      };
    const stats = `${rounds}: ${pct(relative)} [${pct(relativeCi95.lower)}, ${pct(relativeCi95.upper)}], signed-rank p ${p.toPrecision(2)} (Holm)`;
    const decided = verdictOfChange({
      stats,
      change: relative,
      ci: relativeCi95,
      adjustedP: p,
      alpha: options.alpha,
      threshold: options.threshold,
      higherIsBetter: comparison.higherIsBetter,
      remedy: 'raise --rounds or quiet the device',
    });
    return { ...comparison, adjustedPValue: p, ...decided };
  });
  return [...verdicts, ...incomparable, ...compareCells(results, options)];
}
