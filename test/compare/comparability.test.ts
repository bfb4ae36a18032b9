import { describe, expect, it } from 'vitest';
import { compareInterleaved } from '../../harness/compare/compare-ab.ts';
import { compareRuns } from '../../harness/compare/compare-runs.ts';
import type { CellThermal } from '../../harness/core/cell-thermal.ts';
import type { Results } from '../../harness/core/results.ts';
import { latencies, results } from '../helpers/results.ts';

const options = { threshold: 0.03, alpha: 0.01, allowDifferent: ['variant', 'runtime'] as ('variant' | 'runtime' | 'device')[] };
const cost = { rateHz: 10, samples: 50, meanMs: 0.05, maxMs: 0.2 };
const GATED: CellThermal = {
  where: 'this machine',
  gating: 'gated',
  gatingNote: 'gated before each of 5 runner process(es); longest wait 0.0 s',
  throttling: 'none',
  throttlingNote: 'no busy core ran throttled',
  probeCost: cost,
};
const TIMED_OUT: CellThermal = {
  ...GATED,
  gating: 'timed-out',
  gatingNote: 'thermally ungated: timed out after 120 s, x86_pkg_temp (thermal_zone2) still at 84.0 °C (ceiling 70.0 °C) (2 of 5 runner processes)',
};
const THROTTLED: CellThermal = {
  ...GATED,
  throttling: 'throttled',
  throttlingNote: '3 throttling event(s) in 2 of 5 runner process(es); cpu0 down to 62% of its maximum frequency',
};
const NO_SENSOR: CellThermal = {
  ...GATED,
  gating: 'no-sensor',
  gatingNote: 'thermally ungated: no thermal sensor (thermal zones: no /sys/class/thermal/thermal_zone* on this machine)',
  throttling: 'unknown',
  throttlingNote: 'cpufreq: no cpufreq',
};

/** A run whose one cell was measured in the given thermal state; `slowdown` scales its latencies. */
function run(thermal: CellThermal | undefined, slowdown: number, seed: number): Results {
  const r = results([{ variant: 'int8', samples: latencies(500, 2 * slowdown, seed) }]);
  if (thermal) r.cells[0]!.thermal = thermal;
  return r;
}

describe('incomparable thermal states', () => {
  it('refuses a verdict when the baseline was gated and the candidate was not, even for a clear regression', () => {
    const comparisons = compareRuns(run(GATED, 1, 1), run(TIMED_OUT, 1.2, 2), options);
    expect(comparisons.length).toBeGreaterThan(3);
    for (const c of comparisons) {
      expect(c.verdict).toBe('incomparable');
      expect(c.rule).toBe(`thermal gating differs: baseline ${GATED.gatingNote}; candidate ${TIMED_OUT.gatingNote}`);
    }
  });

  it('refuses a verdict when one side throttled and the other did not', () => {
    const p50 = compareRuns(run(THROTTLED, 1, 1), run(GATED, 1, 2), options).find((c) => c.metric === 'latency.p50')!;
    expect(p50.verdict).toBe('incomparable');
    expect(p50.rule).toBe(`throttling differs: baseline throttled (${THROTTLED.throttlingNote}); candidate none (${GATED.throttlingNote})`);
  });

  it('decides as usual when both sides were measured in the same state, sensors or not', () => {
    expect(compareRuns(run(GATED, 1, 1), run(GATED, 1.2, 2), options).find((c) => c.metric === 'latency.p50')!.verdict).toBe('regressed');
    expect(compareRuns(run(NO_SENSOR, 1, 1), run(NO_SENSOR, 1.2, 2), options).find((c) => c.metric === 'latency.p50')!.verdict).toBe('regressed');
    // A results file written before the thermal state was recorded compares as before.
    expect(compareRuns(run(undefined, 1, 1), run(TIMED_OUT, 1.2, 2), options).find((c) => c.metric === 'latency.p50')!.verdict).toBe('regressed');
  });

  it('refuses an interleaved A/B verdict when A and B ran in different thermal states', () => {
    const ab = results(
      [
        { variant: 'a', samples: latencies(480, 2, 1), repeats: 12 },
        { variant: 'b', samples: latencies(480, 2.4, 2), repeats: 12 },
      ],
      {},
    );
    ab.ab = { a: 'a', b: 'b', rounds: 12 };
    expect(compareInterleaved(ab, options).find((c) => c.metric === 'latency.p50')!.verdict).toBe('regressed');
    ab.cells[0]!.thermal = GATED;
    ab.cells[1]!.thermal = THROTTLED;
    const verdicts = compareInterleaved(ab, options);
    expect(verdicts.map((c) => c.verdict)).toEqual(verdicts.map(() => 'incomparable'));
    expect(verdicts[0]!.rule).toMatch(/^throttling differs: baseline none/);
  });
});

describe('incomparable runtimes', () => {
  const withRuntime = (name: 'onnxruntime-node' | 'onnxruntime-web' | undefined, slowdown: number, seed: number): Results => {
    const r = run(undefined, slowdown, seed);
    const runtime = r.cells[0]!.runtime!;
    r.cells[0]!.runtime = name ? { ...runtime, name, version: runtime.onnxruntime } : runtime;
    return r;
  };
  const strict = { ...options, allowDifferent: ['variant'] as ('variant' | 'runtime' | 'device')[] };

  it('refuses a verdict between two runtimes unless the suite allows the runtime to differ', () => {
    const p50 = compareRuns(withRuntime('onnxruntime-node', 1, 1), withRuntime('onnxruntime-web', 1.2, 2), strict).find((c) => c.metric === 'latency.p50')!;
    expect(p50.verdict).toBe('incomparable');
    expect(p50.rule).toBe('the runtime differs: onnxruntime-node vs onnxruntime-web (add "runtime" to compare.allowDifferent to allow it)');
    expect(
      compareRuns(withRuntime('onnxruntime-node', 1, 1), withRuntime('onnxruntime-web', 1.2, 2), options).find((c) => c.metric === 'latency.p50')!.verdict,
    ).toBe('regressed');
  });

  it('compares a results file from before runtimes were named by version alone', () => {
    expect(compareRuns(withRuntime(undefined, 1, 1), withRuntime('onnxruntime-node', 1.2, 2), strict).find((c) => c.metric === 'latency.p50')!.verdict).toBe(
      'regressed',
    );
  });
});
