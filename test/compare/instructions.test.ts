import { describe, expect, it } from 'vitest';
import { gate } from '../../harness/compare/gate.ts';
import { INSTRUCTIONS_LABEL, type InstructionsMetric } from '../../harness/core/instructions-metric.ts';
import type { Results } from '../../harness/core/results.ts';
import { consoleTable } from '../../harness/report/console-table.ts';
import { instructionsMetric } from '../../harness/results/instructions.ts';
import { latencies, results } from '../helpers/results.ts';

const counted = (value: number): InstructionsMetric => ({
  source: 'measured',
  value,
  unit: 'count',
  per: 'inference',
  method: 'test',
  label: INSTRUCTIONS_LABEL,
  perProcess: [value],
});

/** One cell whose latency is the same in every run (seeded), and whose instruction count is given. */
function run(instructions: InstructionsMetric | undefined, options: { runId: string; suite?: Record<string, unknown> }): { results: Results; file: string } {
  const out = results([{ variant: 'v', samples: latencies(200, 10, 1) }], options);
  if (instructions) out.cells[0]!.metrics.instructions = instructions;
  return { results: out, file: `${options.runId}.json` };
}

const verdictOf = (report: ReturnType<typeof gate>) => report.comparisons.find((c) => c.metric === 'instructions');

describe('compare on instructions', () => {
  const baseline = run(counted(1_000_000), { runId: 'base' });

  it('is exact within the default 0.05% tolerance: unchanged, regressed or improved, with no p-value', () => {
    const within = verdictOf(gate({ baseline, candidate: run(counted(1_000_400), { runId: 'c1' }) }))!;
    expect(within).toMatchObject({ verdict: 'unchanged' });
    expect(within.pValue).toBeUndefined();
    expect(within.rule).toMatch(/0\.040% is within 0\.050%/);
    expect(verdictOf(gate({ baseline, candidate: run(counted(1_001_000), { runId: 'c2' }) }))).toMatchObject({ verdict: 'regressed' });
    expect(verdictOf(gate({ baseline, candidate: run(counted(999_000), { runId: 'c3' }) }))).toMatchObject({ verdict: 'improved' });
  });

  it("takes its tolerance from the suite's compare settings", () => {
    const loose = { compare: { threshold: 0.03, alpha: 0.01, allowDifferent: ['variant', 'runtime'], instructionsTolerance: 0.01 } };
    expect(verdictOf(gate({ baseline, candidate: run(counted(1_005_000), { runId: 'c4', suite: loose }) }))).toMatchObject({ verdict: 'unchanged' });
  });

  it('an increase budget on it fails above its limit and passes below', () => {
    const budgets = [{ metric: 'instructions', increase: { relative: 0.005 } }];
    const small = gate({ baseline, candidate: run(counted(1_003_000), { runId: 'c5', suite: { budgets } }) });
    expect(verdictOf(small)).toMatchObject({ verdict: 'regressed' });
    expect(small.budgets[0]).toMatchObject({ metric: 'instructions', passed: true });
    const large = gate({ baseline, candidate: run(counted(1_050_000), { runId: 'c6', suite: { budgets } }) });
    expect(large.budgets[0]).toMatchObject({ metric: 'instructions', passed: false });
    expect(large.status).toBe('fail');
  });

  it('a side without a count says why, instead of a verdict', () => {
    const missing = run({ source: 'unavailable', unit: 'count', reason: 'valgrind is not installed' }, { runId: 'c7' });
    expect(verdictOf(gate({ baseline, candidate: missing }))).toMatchObject({
      verdict: 'unavailable',
      rule: expect.stringContaining('valgrind is not installed'),
    });
  });

  it('a run that did not count has no instructions comparison at all', () => {
    expect(verdictOf(gate({ baseline: run(undefined, { runId: 'b' }), candidate: run(undefined, { runId: 'c' }) }))).toBeUndefined();
  });
});

describe('the instructions metric of a cell', () => {
  it('is per example the fewest over every process (wall-clock housekeeping adds 117K to some runs), the median over examples', () => {
    const hit = 117_000;
    const metric = instructionsMetric(
      [
        { type: 'instructions', perIteration: [100 + hit, 200, 300 + hit], exampleIds: ['a', 'b', 'c'] },
        { type: 'instructions', perIteration: [100, 200 + hit, 300 + hit], exampleIds: ['a', 'b', 'c'] },
        { type: 'instructions', perIteration: [100, 200, 300], exampleIds: ['a', 'b', 'c'] },
      ],
      '',
      true,
    );
    expect(metric).toMatchObject({ source: 'measured', per: 'inference', value: 200, perProcess: [100 + hit, 200 + hit, 200] });
    // One example run five times in one process (the gate chain): the fewest of its runs, even with 3 of 5 hit.
    const chain = instructionsMetric(
      [{ type: 'instructions', perIteration: [500 + hit, 500, 500 + hit, 500 + hit, 500], exampleIds: ['x', 'x', 'x', 'x', 'x'] }],
      '',
      true,
    );
    expect(chain).toMatchObject({ value: 500, perProcess: [500] });
    expect(chain?.source === 'measured' && chain.perIteration).toEqual([[500 + hit, 500, 500 + hit, 500 + hit, 500]]);
  });

  it('is per token for generate: each run divided by the session runs it made', () => {
    const metric = instructionsMetric(
      [
        { type: 'instructions', perIteration: [300, 400], tokens: [3, 4], exampleIds: ['p', 'q'] },
        { type: 'instructions', perIteration: [330, 400], tokens: [3, 4], exampleIds: ['p', 'q'] },
      ],
      '',
      true,
    );
    expect(metric).toMatchObject({ source: 'measured', per: 'token', value: 100, perProcess: [100, 105] });
  });

  it('is unavailable with the reason: a device that does not count, a cell that failed', () => {
    expect(instructionsMetric([undefined], '', true)).toMatchObject({ source: 'unavailable', reason: expect.stringMatching(/only local and emulated/) });
    expect(instructionsMetric([undefined], 'the cell failed (OOM)', true)).toMatchObject({ source: 'unavailable', reason: 'the cell failed (OOM)' });
    expect(instructionsMetric([undefined], '', false)).toBeUndefined();
  });

  it('shows beside wall time in the console table, with the caveat', () => {
    const table = consoleTable(run(counted(2_612_345), { runId: 'r' }).results);
    expect(table.split('\n')[0]).toMatch(/p50 ms\s+instructions\s+p90 ms/);
    expect(table).toContain('2,612,345');
    expect(table).toContain(INSTRUCTIONS_LABEL);
  });
});
