import { percentileInterval, minimumSamplesForPercentile } from './percentile-ci.ts';
import { percentileOfSorted, percentileOfUnsorted, sortAscending } from './percentile.ts';
import { summarizeSorted } from './summary.ts';

/** Share of the timed iterations, from the start, compared with the rest to detect missing warm-up. */
export const WARMUP_HEAD_SHARE = 0.1;
/** Fewest timed samples for the warm-up check: below this the head holds a single iteration's noise. */
export const WARMUP_MIN_SAMPLES = 20;
/** The head's median may be this many times the rest's before warm-up counts as too short. */
export const WARMUP_SLOWDOWN_LIMIT = 1.5;
/** Tukey's (1977) far-out fence: Q3 + 3 IQR. */
export const OUTLIER_FENCE_IQRS = 3;
/** More than this share of samples beyond the far-out fence means the machine was disturbed. */
export const OUTLIER_SHARE_LIMIT = 0.05;
/** Coefficient of variation (stddev / mean) above which a latency summary says little. */
export const HIGH_VARIANCE_CV = 0.5;
/** Medians below this are a few ticks of a coarse clock: browsers round performance.now to 5-100 us. */
export const TIMER_RESOLUTION_MS = 0.01;

export type SampleWarningCode = 'WARMUP_TOO_SHORT' | 'OUTLIERS' | 'HIGH_VARIANCE' | 'TOO_FEW_SAMPLES' | 'TIMER_RESOLUTION';

export interface SampleWarning {
  code: SampleWarningCode;
  /** What was measured, with the figures. */
  message: string;
  /** What to change before the next run. */
  remedy: string;
}

export interface SampleWarningOptions {
  /** Percentile whose confidence interval the sample must support; 0.99 unless given. */
  percentile?: number;
  /** Confidence of that interval; 0.95 unless given. */
  confidence?: number;
}

const formatMs = (ms: number): string => `${Number(ms.toPrecision(3))} ms`;
const percentileName = (p: number): string => `p${Number((p * 100).toPrecision(4))}`;

/**
 * The fixed set of measurement warnings for one cell's latency samples, in iteration order,
 * each with the figures that triggered it and its remedy (after hyperfine's warnings).
 */
export function sampleWarnings(samples: readonly { latencyMs: number }[], options: SampleWarningOptions = {}): SampleWarning[] {
  const percentile = options.percentile ?? 0.99;
  const confidence = options.confidence ?? 0.95;
  if (samples.length === 0) throw new RangeError('sample warnings: no samples');
  const latencies = samples.map((sample, index) => {
    const latency = sample?.latencyMs;
    if (!(Number.isFinite(latency) && latency >= 0))
      throw new RangeError(`sample warnings: sample ${index} latencyMs is ${latency}, not a finite non-negative number`);
    return latency;
  });
  const n = latencies.length;
  const sorted = sortAscending(latencies);
  const summary = summarizeSorted(sorted);
  const warnings: SampleWarning[] = [];

  if (n >= WARMUP_MIN_SAMPLES) {
    const headLength = Math.ceil(n * WARMUP_HEAD_SHARE);
    const headMedian = percentileOfUnsorted(latencies.slice(0, headLength), 0.5);
    const restMedian = percentileOfUnsorted(latencies.slice(headLength), 0.5);
    if (headMedian > WARMUP_SLOWDOWN_LIMIT * restMedian) {
      const ratio = restMedian > 0 ? `${(headMedian / restMedian).toFixed(1)}x` : 'much';
      warnings.push({
        code: 'WARMUP_TOO_SHORT',
        message: `first ${headLength} iterations ${ratio} slower than the rest (median ${formatMs(headMedian)} vs ${formatMs(restMedian)})`,
        remedy: 'raise warmup in the suite',
      });
    }
  }

  const q1 = percentileOfSorted(sorted, 0.25);
  const q3 = percentileOfSorted(sorted, 0.75);
  const fence = q3 + OUTLIER_FENCE_IQRS * (q3 - q1);
  const outliers = latencies.filter((latency) => latency > fence).length;
  if (outliers > OUTLIER_SHARE_LIMIT * n) {
    warnings.push({
      code: 'OUTLIERS',
      message: `${outliers} of ${n} samples (${((100 * outliers) / n).toFixed(1)}%) above Q3 + 3 IQR (${formatMs(fence)})`,
      remedy: 'close other programs, pin the benchmark to idle cores, or use an emulated device profile with dedicated cores',
    });
  }

  const variation = summary.mean > 0 ? summary.stddev / summary.mean : 0;
  if (variation > HIGH_VARIANCE_CV) {
    warnings.push({
      code: 'HIGH_VARIANCE',
      message: `coefficient of variation ${variation.toFixed(2)} (stddev ${formatMs(summary.stddev)}, mean ${formatMs(summary.mean)})`,
      remedy: 'raise iterations, or run on a quieter machine: close other programs and disable CPU frequency scaling',
    });
  }

  if (percentileInterval(sorted, percentile, confidence) === undefined) {
    const needed = minimumSamplesForPercentile(percentile, confidence);
    warnings.push({
      code: 'TOO_FEW_SAMPLES',
      message: `${n} samples are too few for a ${Number((confidence * 100).toPrecision(4))}% confidence interval of ${percentileName(percentile)}, which needs ${needed}`,
      remedy: `raise iterations to at least ${needed}`,
    });
  }

  if (summary.p50 < TIMER_RESOLUTION_MS) {
    warnings.push({
      code: 'TIMER_RESOLUTION',
      message: `median ${formatMs(summary.p50)} is near the clock's resolution, so measured times are mostly timer ticks`,
      remedy: 'time more work per iteration, such as a larger batch or a longer input',
    });
  }
  return warnings;
}
