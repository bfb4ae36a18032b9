import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRICS } from '../../harness/compare/metrics.ts';
import { renderPage } from '../../harness/report/html/page.ts';
import { buildReport } from '../../harness/report/report.ts';
import { readResults } from '../../harness/results/read-results.ts';
import { Results } from '../../harness/core/results.ts';
import { percentileOfSorted, percentileOfUnsorted } from '../../harness/stats/percentile.ts';
import { tempProject, type TempProject } from '../helpers/project.ts';
import { latencies, results } from '../helpers/results.ts';

const BIN = fileURLToPath(new URL('../../bin/edgebench.js', import.meta.url));
/** Large enough that work growing with the square of the samples takes far longer than the test's timeout. */
const SAMPLES = 200_000;
const REPEATS = 5;

let project: TempProject;
let baseline: Results;
let candidate: Results;
beforeAll(async () => {
  project = await tempProject();
  const suite = {
    budgets: [
      { metric: 'latency.p50', increase: { relative: 0.05 } },
      { metric: 'latency.p99', max: 1000 },
    ],
  };
  baseline = results(
    [
      { variant: 'fp32', samples: latencies(SAMPLES, 10, 1), repeats: REPEATS },
      { variant: 'int8', samples: latencies(SAMPLES, 7, 2), repeats: REPEATS },
    ],
    { runId: 'baseline', suite },
  );
  candidate = results(
    [
      { variant: 'fp32', samples: latencies(SAMPLES, 11, 3), repeats: REPEATS },
      { variant: 'int8', samples: latencies(SAMPLES, 7, 4), repeats: REPEATS },
    ],
    { runId: 'candidate', suite },
  );
  await project.write('baseline.json', JSON.stringify(baseline));
  await project.write('candidate.json', JSON.stringify(candidate));
}, 120_000);
afterAll(() => project.cleanup());

const edgebench = (args: string[]) =>
  execa(process.execPath, [BIN, ...args], { cwd: project.dir, reject: false, env: { GITHUB_ACTIONS: '', GITHUB_STEP_SUMMARY: '' } });

describe('compare and report on runs with hundreds of thousands of samples per cell', () => {
  it('edgebench compare finds the 10% slowdown and blocks the release', async () => {
    const result = await edgebench(['compare', 'baseline.json', 'candidate.json', '--json', 'gate.json']);
    expect(result.exitCode, result.stderr).toBe(1);
    // The Report, whose gates[0] is the gate.
    const gate = JSON.parse(await readFile(project.path('gate.json'), 'utf8')).gates[0];
    const p50 = gate.comparisons.find((c: { variant: string; metric: string }) => c.variant === 'fp32' && c.metric === 'latency.p50');
    expect(p50).toMatchObject({ verdict: 'regressed', baseline: { n: REPEATS }, candidate: { n: REPEATS } });
    expect(p50.delta.relative).toBeCloseTo(0.1, 2);
    expect(gate.comparisons.find((c: { variant: string; metric: string }) => c.variant === 'int8' && c.metric === 'latency.p50').verdict).toBe('unchanged');
  }, 240_000);

  it('edgebench report writes a page that draws each latency curve from a few quantiles, and says so', async () => {
    const result = await edgebench(['report', 'candidate.json', '--baseline', 'baseline.json', '--out', 'report']);
    expect(result.exitCode, result.stderr).toBe(0);
    const html = await readFile(project.path('report/index.html'), 'utf8');
    expect(html).toContain('evenly spaced quantiles of all the cell');
    // Not a sample per point: the page stays the size it has at a few hundred samples.
    expect(Buffer.byteLength(html)).toBeLessThan(3 * 1024 * 1024);
  }, 240_000);

  it('draws the box and the curve from all samples: the box quartiles are those of every sample of the cell', () => {
    const page = renderPage(buildReport({ runs: [candidate], gates: [] }));
    const box = page.charts.find((c) => c.id === 'latency-box')!.spec as { data: { values: { variant: string; median: number; n: number }[] } };
    const fp32 = box.data.values.find((v) => v.variant === 'fp32')!;
    const all = candidate.cells[0]!.samples.map((s) => s.latencyMs);
    expect(fp32.n).toBe(SAMPLES);
    expect(fp32.median).toBeCloseTo(percentileOfUnsorted(all, 0.5), 3);
    const cdf = page.charts.find((c) => c.id === 'latency-cdf')!.spec as { data: { values: { kind: string; ms: number[] }[] } };
    for (const row of cdf.data.values.filter((v) => v.kind === 'cdf')) expect(row.ms.length).toBeLessThanOrEqual(50);
  });
});

describe('reading large results files', () => {
  it('reads exactly what the schema reads', async () => {
    const read = await readResults(project.path('candidate.json'));
    expect(read.results).toEqual(Results.parse(JSON.parse(await readFile(project.path('candidate.json'), 'utf8'))));
  });

  it('names the field of a bad sample deep inside a large cell', async () => {
    const damaged = structuredClone(candidate);
    (damaged.cells[1]!.samples[123_456] as { latencyMs: unknown }).latencyMs = -3;
    (damaged.cells[0]!.samples[7] as Record<string, unknown>).extra = 1;
    await writeFile(project.path('damaged.json'), JSON.stringify(damaged));
    await expect(readResults(project.path('damaged.json'))).rejects.toThrow(/cells\[1\]\.samples\[123456\]\.latencyMs/);
    await expect(readResults(project.path('damaged.json'))).rejects.toThrow(/cells\[0\]\.samples\[7\]/);
  });
});

describe('per-process percentiles of a cell', () => {
  it("are each runner process's own percentile of its samples", () => {
    const cell = candidate.cells[0]!;
    for (const [metric, p] of [
      ['latency.p50', 0.5],
      ['latency.p90', 0.9],
      ['latency.p99', 0.99],
    ] as const) {
      const perRepeat = METRICS[metric].read(cell)!.perRepeat!;
      expect([...perRepeat.keys()].sort()).toEqual([1, 2, 3, 4, 5]);
      for (const [repeat, value] of perRepeat) {
        const own = cell.samples
          .filter((s) => s.repeat === repeat)
          .map((s) => s.latencyMs)
          .sort((a, b) => a - b);
        expect(value).toBe(percentileOfSorted(own, p));
      }
    }
  });
});

describe('percentileOfUnsorted', () => {
  it('equals the percentile of the sorted values, ties and all', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 4 }), fc.double({ min: 0, max: 100, noNaN: true })), { minLength: 1, maxLength: 60 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (values, p) => {
          expect(percentileOfUnsorted(values, p)).toBe(
            percentileOfSorted(
              [...values].sort((a, b) => a - b),
              p,
            ),
          );
        },
      ),
      { numRuns: 500 },
    );
  });
});
