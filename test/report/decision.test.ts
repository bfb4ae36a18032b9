import { describe, expect, it } from 'vitest';
import { gate } from '../../harness/compare/gate.ts';
import type { Results } from '../../harness/core/results.ts';
import { decide } from '../../harness/report/decision.ts';
import { buildReport } from '../../harness/report/report.ts';
import { latencies, results } from '../helpers/results.ts';

const withDisk = (run: Results, bytes: Record<string, number>): Results => {
  for (const cell of run.cells) {
    const size = bytes[cell.variant.name];
    if (size !== undefined) cell.metrics.diskBytes = { source: 'measured', unit: 'bytes', method: 'test', value: size };
  }
  return run;
};

const reportOf = (candidate: Results, baseline?: Results) =>
  buildReport({
    runs: [candidate],
    ...(baseline ? { baseline } : {}),
    gates: [gate({ candidate: { results: candidate, file: 'c.json' }, ...(baseline ? { baseline: { results: baseline, file: 'b.json' } } : {}) })],
  });

const correct = (wrongEvery: number) => Array.from({ length: 400 }, (_, i) => i % wrongEvery !== 0);

describe('the report decision', () => {
  it('ships the fastest variant that passes every budget, and says why', () => {
    const run = withDisk(
      results([
        { variant: 'fp32', samples: latencies(300, 2, 1), repeats: 3 },
        { variant: 'int8', samples: latencies(300, 1, 2), repeats: 3 },
        { variant: 'int4', samples: latencies(300, 1.5, 3), repeats: 3 },
      ]),
      { fp32: 400, int8: 100, int4: 60 },
    );
    const [decision] = decide(reportOf(run));
    expect(decision!.baselineRunId).toBeUndefined();
    expect(decision!.worse).toEqual([]);
    const host = decision!.devices[0]!;
    expect(host.ship?.variant).toBe('int8');
    expect(host.ship?.reason).toMatch(
      /^fastest of the 3 variants that ran and pass every budget: p50 1\.\d+ ms against 2\.\d+ ms for fp32, 4\.0x smaller on disk than fp32$/,
    );
    expect(host.cells.map((c) => c.standing)).toEqual(['not compared', 'not compared', 'not compared']);
  });

  it('prefers a smaller file whose p50 is within the compare threshold, leaves out what breaks a budget or loses accuracy', () => {
    const run = withDisk(
      results(
        [
          { variant: 'fp32', samples: latencies(300, 2, 1), repeats: 3, correct: correct(100) },
          { variant: 'int8', samples: latencies(300, 1, 2), repeats: 3, correct: correct(100) },
          { variant: 'int4', samples: latencies(300, 1.01, 2), repeats: 3, correct: correct(100) },
          { variant: 'q4', samples: latencies(300, 0.5, 4), repeats: 3, correct: correct(3) },
          { variant: 'big', samples: latencies(300, 0.4, 5), repeats: 3, correct: correct(100), peakRssBytes: 900e6 },
        ],
        { suite: { budgets: [{ metric: 'peakRssBytes', max: 500e6, name: 'memory cap' }] } },
      ),
      { fp32: 400, int8: 100, int4: 60, q4: 50, big: 800 },
    );
    const host = decide(reportOf(run))[0]!.devices[0]!;
    expect(host.ship?.variant).toBe('int4');
    expect(host.ship?.reason).toMatch(/^smallest of the 3 variants that ran, pass every budget and keep quality within 3% of the fastest p50/);
    expect(host.excluded).toEqual([
      { variant: 'q4', reason: expect.stringMatching(/^accuracy -3\d\.\d% against fp32$/) },
      { variant: 'big', reason: 'fails budget memory cap' },
    ]);
    // Over budget is worse than anything measured: first in the device's list and in what got worse.
    expect(host.cells[0]).toMatchObject({ variant: 'big', standing: 'over budget' });
  });

  it('puts what got worse against the baseline first, and the device it happened on', () => {
    const spec = (slower: number) => [
      { deviceId: 'host', variant: 'fp32', samples: latencies(300, 2, 1), repeats: 3 },
      { deviceId: 'host', variant: 'int8', samples: latencies(300, 1, 2), repeats: 3 },
      { deviceId: 'board', variant: 'fp32', samples: latencies(300, 20, 3), repeats: 3 },
      { deviceId: 'board', variant: 'int8', samples: latencies(300, 10 * slower, 4), repeats: 3 },
    ];
    const baseline = results(spec(1), { runId: 'base' });
    const candidate = results(spec(1.3), { runId: 'cand' });
    for (const run of [baseline, candidate]) run.devices.push({ ...run.devices[0]!, id: 'board' });
    const [decision] = decide(reportOf(candidate, baseline));
    expect(decision!.baselineRunId).toBe('base');
    expect(decision!.worse.map((c) => [c.deviceId, c.variant, c.standing])).toEqual([['board', 'int8', 'regressed']]);
    expect(decision!.worse[0]!.details[0]).toMatch(/^latency\.p50 regressed \+(2\d|3\d)\.\d%/);
    expect(decision!.devices.map((d) => d.deviceId)).toEqual(['board', 'host']);
    expect(decision!.devices[1]!.cells.map((c) => c.standing)).toEqual(['unchanged', 'unchanged']);
    // Slower, but still the fastest on the board.
    expect(decision!.devices[0]!.ship?.variant).toBe('int8');
  });

  it('names no variant when none ran', () => {
    const run = results([{ variant: 'fp32', samples: latencies(30, 2, 1), repeats: 1 }]);
    run.cells[0]!.status = 'failed';
    run.cells[0]!.error = { code: 'OOM', message: 'out of memory' };
    const host = decide(reportOf(run))[0]!.devices[0]!;
    expect(host.ship).toBeUndefined();
    expect(host.why).toBe('no variant ran and passed every budget');
    expect(host.cells[0]).toMatchObject({ standing: 'failed', details: ['OOM: out of memory'] });
  });
});
