import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareInterleaved } from '../../harness/compare/compare-ab.ts';
import { gate } from '../../harness/compare/gate.ts';
import { CompareOptions } from '../../harness/core/budget.ts';
import { DeviceSpec } from '../../harness/core/device-spec.ts';
import type { RepeatProbes } from '../../harness/core/probe-readings.ts';
import { startProbes } from '../../harness/probes/sampler.ts';
import { gateJUnit } from '../../harness/report/reporters/junit.ts';
import { gateMarkdown } from '../../harness/report/reporters/markdown.ts';
import { energyThermal } from '../../harness/results/energy-thermal.ts';
import type { Results } from '../../harness/core/results.ts';
import { results } from '../helpers/results.ts';
import { sysfsCopy, type SysfsTree } from '../helpers/sysfs.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ENERGY = '/sys/class/powercap/intel-rapl:0/energy_uj';
const ITERATIONS = 10;
const REPEATS = 4;
const PHASE_MS = 300;
const GATED = { status: 'passed' as const, waitedMs: 0, celsius: 50, limitC: 70, note: 'gated' };

let laptop: SysfsTree;
beforeAll(async () => {
  laptop = await sysfsCopy('intel-laptop');
});
afterAll(() => laptop?.cleanup());

/**
 * One runner process on the laptop fixture, sampled by the real sampler: the
 * RAPL package counter advances by `watts` x the phase's nominal length
 * between the timed phase's edges (written before each edge is reported, so a
 * busy machine's late timers do not move the energy, only the phase's length).
 */
async function laptopProcess(watts: number): Promise<RepeatProbes> {
  const startUj = 100_000_000;
  // Reset before sampling starts: a counter lower than the last process's reads as a wrap.
  await laptop.write(ENERGY, String(startUj));
  const sampling = await startProbes(DeviceSpec.parse({ id: 'host', kind: 'local', probes: { root: laptop.root, rateHz: 50 } }));
  await sleep(50);
  sampling.onEvent({ type: 'timed-phase', edge: 'start' });
  await sleep(PHASE_MS);
  await laptop.write(ENERGY, String(startUj + watts * 1000 * PHASE_MS));
  sampling.onEvent({ type: 'timed-phase', edge: 'end', wallMs: PHASE_MS, cpuMs: PHASE_MS - 10 });
  await sleep(50);
  return { ...(await sampling.stop()), gate: GATED };
}

/** A runner process whose RAPL counter gave `joules` over a 300 ms timed phase. */
const measured = (joules: number): RepeatProbes => ({
  where: 'this machine',
  timedWindowMs: { start: 0, end: 300 },
  energy: {
    source: 'measured',
    probe: 'rapl',
    joules,
    method: 'RAPL energy counter package-0',
    trace: [
      [0, 0],
      [300, joules],
    ],
  },
  temperature: { source: 'unavailable', reason: 'none' },
  throttling: { source: 'unavailable', reason: 'none' },
  gate: GATED,
  cost: { rateHz: 10, samples: 3, skipped: 0, meanMs: 0.1, maxMs: 0.1 },
});

const estimateFrom = (model: string, joules: number): Partial<RepeatProbes> => ({
  energy: {
    source: 'estimated',
    probe: 'cpu-time-estimate',
    joules,
    from: `CPU time x ${model}: 1.6 W per busy core-second of the runner plus 2.7 W idle over its timed phase`,
  },
});

/** A run of one cell (host, v) whose repeats carry these probe records, with the metrics results/energy-thermal.ts computes from them. */
function runWith(processes: RepeatProbes[], runId: string, budgets: unknown[] = []): { results: Results; file: string } {
  const run = results([{ variant: 'v', samples: Array.from({ length: ITERATIONS * processes.length }, () => 20), repeats: processes.length }], {
    runId,
    suite: { budgets },
  });
  probe(run.cells[0]!, processes);
  return { results: run, file: `${runId}.json` };
}

/** Gives a cell's repeats these probe records, and the metrics results/energy-thermal.ts computes from them. */
function probe(cell: Results['cells'][number], processes: RepeatProbes[]): void {
  cell.repeats = cell.repeats!.map((r, i) => ({ ...r, probes: processes[i]! }));
  const { metrics, thermal } = energyThermal(
    processes.map((probes, i) => ({ repeat: i + 1, probes, samples: cell.samples.filter((s) => s.repeat === i + 1) })),
    '',
  );
  Object.assign(cell.metrics, metrics);
  if (thermal) cell.thermal = thermal;
}

const energyOf = (report: ReturnType<typeof gate>) =>
  report.comparisons.filter((c) => ['energyPerInferenceMj', 'averagePowerWatts', 'energyPerTokenMj'].includes(c.metric));

describe('energy metrics in compare and budgets', () => {
  it('a candidate drawing twice the power of the baseline, both measured by RAPL, is a regression in energy per inference and average power', async () => {
    const before: RepeatProbes[] = [];
    const after: RepeatProbes[] = [];
    for (let i = 0; i < REPEATS; i++) {
      before.push(await laptopProcess(8));
      after.push(await laptopProcess(16));
    }
    expect(before[0]!.energy).toMatchObject({ source: 'measured', probe: 'rapl' });
    const report = gate({
      baseline: runWith(before, 'baseline'),
      candidate: runWith(after, 'candidate', [
        { metric: 'energyPerInferenceMj', increase: { relative: 0.1 } },
        { metric: 'averagePowerWatts', max: 12 },
      ]),
    });
    const [perInference, power] = ['energyPerInferenceMj', 'averagePowerWatts'].map((m) => energyOf(report).find((c) => c.metric === m)!);
    expect(perInference).toMatchObject({ unit: 'mJ', verdict: 'regressed' });
    expect(perInference!.estimated).toBeUndefined();
    // 8 W over 300 ms / 10 iterations = 240 mJ each; 16 W: 480 mJ.
    expect(perInference!.baseline!.value).toBeCloseTo(240, 6);
    expect(perInference!.candidate!.value).toBeCloseTo(480, 6);
    expect(perInference!.delta!.relative).toBeGreaterThan(0.7);
    expect(power).toMatchObject({ unit: 'W', verdict: 'regressed' });
    expect(report.status).toBe('fail');
    expect(report.budgets.map((b) => [b.metric, b.passed])).toEqual([
      ['energyPerInferenceMj', false],
      ['averagePowerWatts', false],
    ]);
    expect(gateMarkdown(report)).toMatch(/\| host \| v \| energyPerInferenceMj \| 240 mJ \| 480 mJ \| \+\d+(\.\d)?% .*🔴 regressed/);
  }, 30_000);

  it('a side without a meter gives no verdict and no number, only the reason', () => {
    const unmetered: Partial<RepeatProbes> = {
      energy: { source: 'unavailable', reason: 'RAPL: no /sys/class/powercap/intel-rapl:* on board pi5 over SSH (pi5.local)' },
    };
    const report = gate({
      baseline: runWith([1, 1.1, 1.2].map(measured), 'baseline'),
      candidate: runWith(
        [1, 1.1, 1.2].map((j) => ({ ...measured(j), ...unmetered })),
        'candidate',
        [{ metric: 'energyPerInferenceMj', max: 1000, level: 'warn' }],
      ),
    });
    const energy = energyOf(report);
    expect(energy.map((c) => c.metric).sort()).toEqual(['averagePowerWatts', 'energyPerInferenceMj']);
    for (const c of energy) {
      expect(c).toMatchObject({
        verdict: 'unavailable',
        rule: 'unavailable on the candidate: RAPL: no /sys/class/powercap/intel-rapl:* on board pi5 over SSH (pi5.local)',
      });
      expect(c.baseline).toBeUndefined();
      expect(c.candidate).toBeUndefined();
      expect(c.delta).toBeUndefined();
    }
    expect(report.budgets[0]).toMatchObject({
      passed: false,
      actual: null,
      message: 'not checked: energyPerInferenceMj is unavailable on host: RAPL: no /sys/class/powercap/intel-rapl:* on board pi5 over SSH (pi5.local)',
    });
    expect(gateMarkdown(report)).toMatch(/\| host \| v \| energyPerInferenceMj \| — \| — \| — \| ⚫ unavailable \| unavailable on the candidate: RAPL/);

    // Both runs on the same unmetered board: the reason is said once.
    const both = gate({
      baseline: runWith(
        [1, 1.1, 1.2].map((j) => ({ ...measured(j), ...unmetered })),
        'baseline',
      ),
      candidate: runWith(
        [1, 1.1, 1.2].map((j) => ({ ...measured(j), ...unmetered })),
        'candidate',
      ),
    });
    for (const c of energyOf(both))
      expect(c).toMatchObject({
        verdict: 'unavailable',
        rule: 'unavailable in both runs: RAPL: no /sys/class/powercap/intel-rapl:* on board pi5 over SSH (pi5.local)',
      });
  });

  it('estimates compare only with estimates from the same power model, and say they are estimates', async () => {
    const base = await laptopProcess(8);
    const model = (name: string, joules: number) => ({ ...base, ...estimateFrom(name, joules) });
    const sameModel = gate({
      baseline: runWith([model('pi5-datasheet', 1), model('pi5-datasheet', 1.02), model('pi5-datasheet', 0.98)], 'baseline'),
      candidate: runWith([model('pi5-datasheet', 2), model('pi5-datasheet', 2.04), model('pi5-datasheet', 1.96)], 'candidate', [
        { metric: 'energyPerInferenceMj', max: 150 },
      ]),
    });
    const perInference = energyOf(sameModel).find((c) => c.metric === 'energyPerInferenceMj')!;
    expect(perInference).toMatchObject({ verdict: 'regressed', estimated: expect.stringMatching(/^CPU time x pi5-datasheet: /) });
    expect(gateMarkdown(sameModel)).toContain(
      '| energyPerInferenceMj (estimated: CPU time x pi5-datasheet: 1.6 W per busy core-second of the runner plus 2.7 W idle over its timed phase) |',
    );
    const budget = sameModel.budgets[0]!;
    expect(budget).toMatchObject({ passed: false, values: { source: expect.stringMatching(/^estimated \(CPU time x pi5-datasheet/) } });
    expect(budget.message).toMatch(/^energyPerInferenceMj \(estimated\) over budget: /);
    expect(gateJUnit(sameModel)).toContain('source: estimated (CPU time x pi5-datasheet');

    const otherModel = gate({
      baseline: runWith([model('pi5-datasheet', 1), model('pi5-datasheet', 1), model('pi5-datasheet', 1)], 'baseline'),
      candidate: runWith([model('pi5-measured', 1), model('pi5-measured', 1), model('pi5-measured', 1)], 'candidate'),
    });
    expect(energyOf(otherModel).find((c) => c.metric === 'energyPerInferenceMj')).toMatchObject({
      verdict: 'incomparable',
      rule: expect.stringContaining('only two measurements, or two estimates from the same power model, compare'),
    });

    const mixed = gate({
      baseline: runWith([base, base, base], 'baseline'),
      candidate: runWith([model('pi5-datasheet', 1), model('pi5-datasheet', 1), model('pi5-datasheet', 1)], 'candidate'),
    });
    expect(energyOf(mixed).find((c) => c.metric === 'averagePowerWatts')).toMatchObject({
      verdict: 'incomparable',
      rule: expect.stringMatching(/^the baseline's value is measured and the candidate's estimated \(CPU time x pi5-datasheet/),
    });
  }, 30_000);

  it('an interleaved A/B run pairs energy round by round, and says unavailable when a variant has none', () => {
    const ROUNDS = 12;
    const abRun = (b: (round: number) => RepeatProbes) => {
      const run = results(['a', 'b'].map((variant) => ({ variant, samples: Array.from({ length: ITERATIONS * ROUNDS }, () => 20), repeats: ROUNDS })));
      probe(
        run.cells[0]!,
        Array.from({ length: ROUNDS }, (_, i) => measured(2.4 * (1 + 0.01 * Math.sin(i)))),
      );
      probe(
        run.cells[1]!,
        Array.from({ length: ROUNDS }, (_, i) => b(i)),
      );
      run.ab = { a: 'a', b: 'b', rounds: ROUNDS };
      return compareInterleaved(run, CompareOptions.parse({}));
    };
    const doubled = abRun((i) => measured(4.8 * (1 + 0.01 * Math.cos(i))));
    expect(doubled.find((c) => c.metric === 'energyPerInferenceMj')).toMatchObject({
      verdict: 'regressed',
      unit: 'mJ',
      variant: 'b',
      baseline: { value: expect.closeTo(240, -1), n: ROUNDS },
    });
    expect(doubled.find((c) => c.metric === 'averagePowerWatts')).toMatchObject({
      verdict: 'regressed',
      unit: 'W',
      candidate: { value: expect.closeTo(16, 0) },
    });
    const unmetered = abRun((i) => ({
      ...measured(1),
      energy: i >= 0 ? { source: 'unavailable', reason: 'the external meter stopped printing readings' } : measured(1).energy,
    }));
    expect(unmetered.find((c) => c.metric === 'energyPerInferenceMj')).toEqual({
      deviceId: 'host',
      variant: 'b',
      metric: 'energyPerInferenceMj',
      unit: 'mJ',
      higherIsBetter: false,
      verdict: 'unavailable',
      rule: 'unavailable on b: the external meter stopped printing readings',
    });
  });
});
