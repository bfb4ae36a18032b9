import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../harness/stats/random.ts';
import { sampleWarnings } from '../../harness/stats/warnings.ts';

/** Latencies around medianMs with +/- 2.5% uniform noise: no warning should fire on these. */
function steadyLatencies(n: number, medianMs = 10, seed = 1): number[] {
  const random = mulberry32(seed);
  return Array.from({ length: n }, () => medianMs * (1 + 0.05 * (random() - 0.5)));
}

const samplesOf = (latencies: number[]) => latencies.map((latencyMs) => ({ latencyMs }));
const codes = (latencies: number[], options?: Parameters<typeof sampleWarnings>[1]) =>
  sampleWarnings(samplesOf(latencies), options).map((warning) => warning.code);

describe('sampleWarnings', () => {
  it('stays quiet on clean data', () => {
    expect(sampleWarnings(samplesOf(steadyLatencies(400)))).toEqual([]);
  });

  it('flags iterations that are slower at the start', () => {
    // The first 10% (40 of 400) at 23 ms against 10 ms for the rest: 2.3x.
    const latencies = steadyLatencies(400).map((latency, i) => (i < 40 ? latency * 2.3 : latency));
    const warning = sampleWarnings(samplesOf(latencies)).find((w) => w.code === 'WARMUP_TOO_SHORT');
    expect(warning?.message).toMatch(/^first 40 iterations 2\.3x slower than the rest/);
    expect(warning?.remedy).toBe('raise warmup in the suite');
    // 1.4x is within the limit, and so is a slow start in a sample too short to judge.
    expect(codes(steadyLatencies(400).map((latency, i) => (i < 40 ? latency * 1.4 : latency)))).not.toContain('WARMUP_TOO_SHORT');
    expect(codes(steadyLatencies(19).map((latency, i) => (i < 2 ? latency * 3 : latency)))).not.toContain('WARMUP_TOO_SHORT');
  });

  it('flags more than 5% of samples beyond the far-out fence', () => {
    // 30 of 400 (7.5%) spikes to 100 ms, spread through the run.
    const latencies = steadyLatencies(400).map((latency, i) => (i % 13 === 5 && i < 390 ? 100 : latency));
    const warning = sampleWarnings(samplesOf(latencies)).find((w) => w.code === 'OUTLIERS');
    expect(warning?.message).toMatch(/^30 of 400 samples \(7\.5%\) above Q3 \+ 3 IQR/);
    expect(warning?.remedy).toMatch(/pin the benchmark to idle cores/);
    // 16 of 400 (4%) is within the limit.
    expect(codes(steadyLatencies(400).map((latency, i) => (i % 25 === 5 ? 100 : latency)))).not.toContain('OUTLIERS');
  });

  it('flags a coefficient of variation above 0.5', () => {
    // Alternating 2 ms and 20 ms: mean 11, stddev about 9, no outliers since the IQR is wide.
    const latencies = Array.from({ length: 400 }, (_, i) => (i % 2 === 0 ? 2 : 20));
    expect(codes(latencies)).toEqual(['HIGH_VARIANCE']);
    expect(sampleWarnings(samplesOf(latencies))[0]!.message).toMatch(/^coefficient of variation 0\.82 \(stddev 9\.01 ms, mean 11 ms\)/);
  });

  it('flags fewer samples than the p99 interval needs', () => {
    const warnings = sampleWarnings(samplesOf(steadyLatencies(100)));
    expect(warnings.map((w) => w.code)).toEqual(['TOO_FEW_SAMPLES']);
    expect(warnings[0]!.message).toBe('100 samples are too few for a 95% confidence interval of p99, which needs 299');
    expect(warnings[0]!.remedy).toBe('raise iterations to at least 299');
    expect(codes(steadyLatencies(299))).toEqual([]);
    // A suite that reports p90 needs only 29.
    expect(codes(steadyLatencies(100), { percentile: 0.9 })).toEqual([]);
  });

  it('flags medians near the timer resolution', () => {
    const warnings = sampleWarnings(samplesOf(steadyLatencies(400, 0.004)));
    expect(warnings.map((w) => w.code)).toEqual(['TIMER_RESOLUTION']);
    expect(warnings[0]!.message).toMatch(/^median 0\.004 ms is near the clock's resolution/);
  });

  it('rejects no samples and latencies that are not finite and non-negative', () => {
    expect(() => sampleWarnings([])).toThrow(/no samples/);
    expect(() => sampleWarnings(samplesOf([1, -1]))).toThrow(/sample 1 latencyMs is -1/);
    expect(() => sampleWarnings(samplesOf([Number.NaN]))).toThrow(/sample 0/);
  });
});
