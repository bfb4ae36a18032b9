/**
 * The gate's decisions replayed on recorded noise: each simulated round draws a real A/A round (its p50 and
 * p90 log ratios together, with a random sign: A and B are exchangeable within a round) and adds the
 * injected slowdown. The decisions are the harness's own: decideRounds and sequentialVerdict for
 * sequential stopping, the signed-rank test and verdictOfChange for fixed rounds.
 */
import { sequentialMeasure, sequentialVerdict, type SequentialSettings } from '../../harness/compare/sequential-verdict.ts';
import { verdictOfChange } from '../../harness/compare/verdict.ts';
import { decideRounds } from '../../harness/execute/sequential-stop.ts';
import { signedRankTest } from '../../harness/stats/wilcoxon-signed-rank.ts';
import { RECORDED_METRICS, type RecordedMetric } from './recorded-rounds.ts';

/** One recorded round: the log ratio of each metric. */
export type Round = Record<RecordedMetric, number>;

export type Mode = { kind: 'fixed'; rounds: number } | { kind: 'sequential'; settings: SequentialSettings & { threshold: number } };

export interface Trial {
  /** Per metric: called regressed. */
  regressed: Record<RecordedMetric, boolean>;
  rounds: number;
  stopped: string;
}

/** compare adjusts for p50, p90 and p99 of a forward task on one device: three comparisons. */
const COMPARISONS = 3;
const ALPHA = 0.01;
const THRESHOLD = 0.03;

export function simulateTrial(pool: readonly Round[], slowdown: number, mode: Mode, random: () => number): Trial {
  const shift = Math.log(1 + slowdown);
  const draws: Round[] = [];
  const draw = () => {
    const round = pool[Math.floor(random() * pool.length)]!;
    const sign = random() < 0.5 ? -1 : 1;
    draws.push(Object.fromEntries(RECORDED_METRICS.map((m) => [m, sign * round[m] + shift])) as Round);
  };
  const series = (m: RecordedMetric) => draws.map((d) => d[m]);
  if (mode.kind === 'fixed') {
    for (let i = 0; i < mode.rounds; i++) draw();
    const regressed = Object.fromEntries(
      RECORDED_METRICS.map((m) => {
        const test = signedRankTest(series(m));
        const ci = { lower: Math.exp(test.lower) - 1, upper: Math.exp(test.upper) - 1 };
        const { verdict } = verdictOfChange({
          stats: '',
          change: Math.exp(test.estimate) - 1,
          ci,
          adjustedP: Math.min(1, test.pValue * COMPARISONS),
          alpha: ALPHA,
          threshold: THRESHOLD,
          higherIsBetter: false,
          remedy: '',
        });
        return [m, verdict === 'regressed'];
      }),
    ) as Record<RecordedMetric, boolean>;
    return { regressed, rounds: mode.rounds, stopped: 'fixed' };
  }
  const { settings } = mode;
  let stopped = 'max-rounds';
  while (draws.length < settings.maxRounds) {
    draw();
    const decision = decideRounds(new Map(RECORDED_METRICS.map((m) => [m, series(m)])), {
      minRounds: settings.minRounds,
      alpha: ALPHA,
      threshold: settings.threshold,
      futility: settings.futility,
      comparisons: COMPARISONS,
    });
    if (decision) {
      stopped = decision.stopped;
      break;
    }
  }
  const regressed = Object.fromEntries(
    RECORDED_METRICS.map((m) => {
      const measure = sequentialMeasure(series(m), settings.futility);
      const { verdict } = sequentialVerdict({
        stats: '',
        measure,
        adjustedP: Math.min(1, measure.pValue * COMPARISONS),
        alpha: ALPHA,
        threshold: settings.threshold,
        higherIsBetter: false,
        futility: settings.futility,
      });
      return [m, verdict === 'regressed'];
    }),
  ) as Record<RecordedMetric, boolean>;
  return { regressed, rounds: draws.length, stopped };
}
