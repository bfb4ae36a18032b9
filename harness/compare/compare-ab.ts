import type { CompareOptions, MetricName } from '../config/budget.ts';
import type { Results } from '../results/schema.ts';
import { bootstrapMeanInterval } from '../stats/bootstrap.ts';
import { holmAdjust } from '../stats/multiple-comparisons.ts';
import { signFlipTest } from '../stats/sign-flip.ts';
import { METRICS } from './metrics.ts';
import type { Comparison } from './schema.ts';

/** Metrics an interleaved A/B run pairs round by round. */
const PAIRED_METRICS: MetricName[] = ['latency.p50', 'latency.p90', 'ttft.p50', 'decodeToken.p50'];

/**
 * Interleaved A/B: A and B ran alternately in rounds on the same device, so
 * each round's B/A ratio cancels the drift both saw. The change is the mean of
 * the per-round log ratios (a geometric mean ratio), its CI a percentile
 * bootstrap over rounds, its p-value an exact sign-flip test; verdicts follow
 * the same threshold and Holm-adjusted alpha as compare between runs.
 */
export function compareInterleaved(results: Results, options: CompareOptions): Comparison[] {
  const ab = results.ab!;
  const found: { comparison: Comparison; ratios: number[] }[] = [];
  for (const deviceId of [...new Set(results.cells.map((c) => c.deviceId))]) {
    for (const metric of PAIRED_METRICS) {
      const definition = METRICS[metric];
      const perRound = (variant: string) => new Map(results.cells.filter((c) => c.deviceId === deviceId && c.variant.name === variant && c.status === 'ok').map((c) => [c.round!, definition.read(c)?.value]));
      const a = perRound(ab.a);
      const b = perRound(ab.b);
      const rounds = [...a.keys()].filter((r) => a.get(r) !== undefined && b.get(r) !== undefined && a.get(r)! > 0 && b.get(r)! > 0);
      if (rounds.length < 2) continue;
      const logRatios = rounds.map((r) => Math.log(b.get(r)! / a.get(r)!));
      const mean = logRatios.reduce((s, v) => s + v, 0) / logRatios.length;
      const ci = bootstrapMeanInterval(logRatios);
      const test = signFlipTest(logRatios);
      const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
      found.push({
        ratios: logRatios,
        comparison: {
          deviceId,
          variant: ab.b,
          metric: `${metric}`,
          unit: definition.unit,
          higherIsBetter: definition.higherIsBetter,
          baseline: { value: median(rounds.map((r) => a.get(r)!)), n: rounds.length },
          candidate: { value: median(rounds.map((r) => b.get(r)!)), n: rounds.length },
          delta: { absolute: median(rounds.map((r) => b.get(r)!)) - median(rounds.map((r) => a.get(r)!)), relative: Math.exp(mean) - 1, relativeCi95: { lower: Math.exp(ci.lower) - 1, upper: Math.exp(ci.upper) - 1 }, method: `mean of ${rounds.length} per-round log ratios ${ab.b}/${ab.a} (geometric mean ratio), percentile bootstrap CI` },
          pValue: test.pValue,
          verdict: 'unchanged',
          rule: '',
        },
      });
    }
  }
  const adjusted = found.length > 0 ? holmAdjust(found.map((f) => f.comparison.pValue!)) : [];
  return found.map(({ comparison }, i) => {
    const p = adjusted[i]!;
    const { relative, relativeCi95 } = comparison.delta!;
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    const stats = `${ab.b} vs ${ab.a} over ${comparison.baseline!.n} paired rounds: ${pct(relative)} [${pct(relativeCi95!.lower)}, ${pct(relativeCi95!.upper)}], sign-flip p ${p.toPrecision(2)} (Holm)`;
    const worse = comparison.higherIsBetter ? -relative : relative;
    const verdict = p < options.alpha && worse > options.threshold ? 'regressed' : p < options.alpha && -worse > options.threshold ? 'improved' : relativeCi95!.upper - relativeCi95!.lower > 2 * options.threshold ? 'noisy' : 'unchanged';
    return { ...comparison, adjustedPValue: p, verdict, rule: `${stats}; threshold ${pct(options.threshold)}, alpha ${options.alpha}` };
  });
}
