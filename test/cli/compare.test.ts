import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Report } from '../../harness/core/report.ts';
import { Results } from '../../harness/core/results.ts';
import { smallProject, suiteYaml, writeSmallModel, type TempProject } from '../helpers/project.ts';

const BIN = fileURLToPath(new URL('../../bin/edgebench.js', import.meta.url));

let project: TempProject;
beforeAll(async () => {
  project = await smallProject();
  // A much larger model under the same variant name: a release that made inference slower.
  await writeSmallModel(project, 'models/big/model.onnx', { shape: { embeddingSize: 512, hiddenSize: 4096 } });
  // The absolute floor (0.05 ms) is above this tiny model's run-to-run noise, far below the big model's slowdown.
  const budgets =
    'budgets:\n  - {name: p50 growth, metric: latency.p50, increase: {relative: 0.05, absolute: 0.05}}\n  - {metric: peakRssBytes, max: 4000000000, level: warn}';
  await project.write('suites/base.yaml', suiteYaml({ iterations: 300, warmup: 50, repeats: 5, extra: budgets }));
  await project.write(
    'suites/slow.yaml',
    suiteYaml({ iterations: 300, warmup: 50, repeats: 5, extra: budgets, variants: '  - name: fp32\n    precision: fp32\n    file: ../models/big/model.onnx' }),
  );
  // The same two models in suites without budgets: the default gate alone decides. Six processes a side, every
  // one run: with three, one process slowed by a loaded machine left Welch's test 2 degrees of freedom, and even
  // the big model's many-fold slowdown was not significant after Holm's adjustment. A 25% threshold: the big
  // model is many times slower, and two runs of the same model minutes apart on a loaded machine drift by less.
  const plain = { iterations: 200, warmup: 50, repeats: 6, extra: 'adaptiveRepeats:\n  enabled: false\ncompare:\n  threshold: 0.25' };
  await project.write('suites/plain.yaml', suiteYaml(plain));
  await project.write('suites/plain-slow.yaml', suiteYaml({ ...plain, variants: '  - name: fp32\n    precision: fp32\n    file: ../models/big/model.onnx' }));
  for (const [suite, id] of [
    ['base', 'base'],
    ['base', 'again'],
    ['slow', 'slow'],
    ['plain', 'plain'],
    ['plain-slow', 'plain-slow'],
  ] as const) {
    const result = await execa(process.execPath, [BIN, 'run', '--suite', `suites/${suite}.yaml`, '--run-id', id], { cwd: project.dir, reject: false });
    expect(result.exitCode).toBe(0);
  }
  // The A/A side of the default gate is the same measurement under another run id: two runs of this 0.02 ms model
  // minutes apart, with other tests loading the machine, once drifted by 83%, which no threshold here should absorb
  // (run-to-run drift is what interleaved A/B is for).
  const measured = JSON.parse(await readFile(project.path('reports/plain/results.json'), 'utf8')) as Record<string, unknown>;
  await project.write('reports/plain-again/results.json', JSON.stringify({ ...measured, runId: 'plain-again' }));
  // Five real runs: minutes on a busy 2-core machine.
}, 900_000);
afterAll(() => project.cleanup());

const edgebench = (args: string[], env: Record<string, string> = {}) =>
  execa(process.execPath, [BIN, ...args], { cwd: project.dir, reject: false, env: { GITHUB_ACTIONS: '', GITHUB_STEP_SUMMARY: '', ...env } });

describe('edgebench compare (the real CLI)', () => {
  it('passes (exit 0) when nothing regressed', async () => {
    const result = await edgebench(['compare', 'reports/base', 'reports/again']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^PASS/);
  });

  it('blocks the release (exit 1) and writes Markdown, JUnit, JSON, annotations and the step summary', async () => {
    const summary = project.path('step-summary.md');
    const result = await edgebench(
      [
        'compare',
        'reports/base/results.json',
        'reports/slow',
        '--all',
        '--markdown',
        'out/gate.md',
        '--junit',
        'out/junit.xml',
        '--json',
        'out/gate.json',
        '--benchmark-json',
        'out/bench.json',
        '--bencher-json',
        'out/bencher.json',
      ],
      {
        GITHUB_ACTIONS: 'true',
        GITHUB_STEP_SUMMARY: summary,
      },
    );
    expect(result.exitCode, result.stdout).toBe(1);
    expect(result.stdout).toMatch(/^FAIL: 1 budget check\(s\) at level error failed/);
    expect(result.stdout).toMatch(/host\s+fp32\s+latency\.p50\s+.*regressed/);
    expect(result.stdout).toMatch(/^::error title=.*p50 growth/m);
    const report = Report.parse(JSON.parse(await readFile(project.path('out/gate.json'), 'utf8'))).gates[0]!;
    expect(report.budgets.find((b) => b.name === 'p50 growth')).toMatchObject({ passed: false, level: 'error', values: { verdict: 'regressed' } });
    expect(await readFile(project.path('out/junit.xml'), 'utf8')).toMatch(/<failure /);
    expect(await readFile(summary, 'utf8')).toMatch(/FAIL/);
    expect(await readFile(project.path('out/gate.md'), 'utf8')).toMatch(/p50 growth/);
    const exported = JSON.parse(await readFile(project.path('out/bench.json'), 'utf8')) as { name: string; unit: string; value: number }[];
    const slow = Results.parse(JSON.parse(await readFile(project.path('reports/slow/results.json'), 'utf8')));
    const p50 = slow.cells[0]!.metrics.latencyMs;
    expect(exported.find((e) => e.name.endsWith('latency p50'))?.value).toBe(p50.source === 'measured' ? p50.summary.p50 : -1);
  });

  it('without budgets, the default gate fails (exit 1) a slower candidate and passes an A/A comparison', async () => {
    const slower = await edgebench(['compare', 'reports/plain', 'reports/plain-slow', '--json', 'out/default-gate.json']);
    expect(slower.exitCode, slower.stdout).toBe(1);
    expect(slower.stdout).toMatch(/default gate: latency\.p50 not regressed/);
    const report = Report.parse(JSON.parse(await readFile(project.path('out/default-gate.json'), 'utf8'))).gates[0]!;
    expect(report.budgets.find((b) => b.metric === 'latency.p50')).toMatchObject({ passed: false, level: 'error', values: { verdict: 'regressed' } });
    const same = await edgebench(['compare', 'reports/plain', 'reports/plain-again']);
    expect(same.exitCode, same.stdout).toBe(0);
  });

  it('gate.failOn replaces the default gate: an empty list fails on nothing, a list fails on its metrics only', async () => {
    const slow = Results.parse(JSON.parse(await readFile(project.path('reports/plain-slow/results.json'), 'utf8')));
    await project.write('failon-none/results.json', JSON.stringify({ ...slow, suite: { ...slow.suite, gate: { failOn: [] } } }));
    expect((await edgebench(['compare', 'reports/plain', 'failon-none'])).exitCode).toBe(0);
    await project.write('failon-disk/results.json', JSON.stringify({ ...slow, suite: { ...slow.suite, gate: { failOn: ['diskBytes'] } } }));
    const disk = await edgebench(['compare', 'reports/plain', 'failon-disk']);
    expect(disk.exitCode, disk.stdout).toBe(1);
    expect(disk.stdout).toMatch(/gate\.failOn: diskBytes not regressed/);
  });

  it('checks absolute budgets on a single run', async () => {
    const result = await edgebench(['compare', 'reports/slow']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/not checked: no baseline run/);
  });

  it('exits 2 for a missing or damaged results file', async () => {
    const missing = await edgebench(['compare', 'reports/none', 'reports/slow']);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/reports\/none: results file not found/);
    await project.write('broken/results.json', '{"schemaVersion": 1, "runId": 5}');
    const broken = await edgebench(['compare', 'broken', 'reports/slow']);
    expect(broken.exitCode).toBe(2);
    expect(broken.stderr).toMatch(/broken\/results\.json: runId: /);
  });

  it('an interleaved A/B run compares B with A round by round', async () => {
    await project.write(
      'suites/ab.yaml',
      suiteYaml({
        iterations: 100,
        variants: '  - {name: small, precision: fp32, file: ../models/small/model.onnx}\n  - {name: big, precision: fp32, file: ../models/big/model.onnx}',
      }),
    );
    const run = await execa(process.execPath, [BIN, 'run', '--suite', 'suites/ab.yaml', '--ab', 'small,big', '--rounds', '4', '--run-id', 'ab'], {
      cwd: project.dir,
      reject: false,
    });
    expect(run.exitCode).toBe(0);
    const results = Results.parse(JSON.parse(await readFile(project.path('reports/ab/results.json'), 'utf8')));
    expect(results.ab).toEqual({ a: 'small', b: 'big', rounds: 4 });
    // Two cells, four runner processes each, run AB, BA, AB, BA.
    expect(results.cells.map((c) => c.variant.name)).toEqual(['small', 'big']);
    const startOf = (variant: string, repeat: number) =>
      results.cells.find((c) => c.variant.name === variant)!.repeats!.find((r) => r.repeat === repeat)!.startedAt;
    const order = [1, 2, 3, 4]
      .flatMap((r) => ['small', 'big'].map((v) => ({ key: `${r}${v}`, at: startOf(v, r) })))
      .sort((x, y) => x.at.localeCompare(y.at) || 0);
    expect(order.map((o) => o.key)).toEqual(['1small', '1big', '2big', '2small', '3small', '3big', '4big', '4small']);
    const compare = await edgebench(['compare', 'reports/ab', '--json', 'out/ab.json', '--all']);
    const report = Report.parse(JSON.parse(await readFile(project.path('out/ab.json'), 'utf8'))).gates[0]!;
    const p50 = report.comparisons.find((c) => c.metric === 'latency.p50')!;
    expect(p50).toMatchObject({ variant: 'big', baseline: { n: 4 } });
    expect(p50.delta!.relative).toBeGreaterThan(0.5);
    expect(p50.rule).toMatch(/big vs small over 4 paired rounds/);
    // Four rounds cannot reach significance: the default gate has no regressed latency verdict to fail on.
    expect(p50.verdict).not.toBe('regressed');
    // Memory is compared cell to cell: the big model's peak is its own, larger, and the default gate fails on it alone.
    const peak = report.comparisons.find((c) => c.metric === 'peakRssBytes')!;
    expect(peak).toMatchObject({ variant: 'big', verdict: 'regressed' });
    expect(report.budgets.filter((b) => !b.passed).map((b) => b.metric)).toEqual(['peakRssBytes']);
    expect(compare.exitCode).toBe(1);

    // --turns: on the host, each round's two processes run side by side, taking turns.
    const turns = await execa(
      process.execPath,
      [BIN, 'run', '--suite', 'suites/ab.yaml', '--ab', 'small,big', '--rounds', '2', '--turns', '--run-id', 'ab-turns'],
      {
        cwd: project.dir,
        reject: false,
      },
    );
    expect(turns.exitCode).toBe(0);
    const sideBySide = Results.parse(JSON.parse(await readFile(project.path('reports/ab-turns/results.json'), 'utf8')));
    expect(sideBySide.ab).toEqual({ a: 'small', b: 'big', rounds: 2, turnsOn: ['host'] });
    const repeatOf = (variant: string, repeat: number) => sideBySide.cells.find((c) => c.variant.name === variant)!.repeats!.find((r) => r.repeat === repeat)!;
    for (const round of [1, 2]) {
      const [small, big] = [repeatOf('small', round), repeatOf('big', round)];
      expect(small.status === 'ok' && big.status === 'ok').toBe(true);
      // Both processes were alive at once, and the round was over before the next began.
      expect(small.startedAt < big.finishedAt && big.startedAt < small.finishedAt).toBe(true);
    }
    expect(repeatOf('small', 2).startedAt >= [repeatOf('small', 1).finishedAt, repeatOf('big', 1).finishedAt].sort()[0]!).toBe(true);
    const paired = await edgebench(['compare', 'reports/ab-turns', '--json', 'out/ab-turns.json', '--all']);
    const turnsReport = Report.parse(JSON.parse(await readFile(project.path('out/ab-turns.json'), 'utf8'))).gates[0]!;
    const turnsP50 = turnsReport.comparisons.find((c) => c.metric === 'latency.p50')!;
    expect(turnsP50.delta!.relative).toBeGreaterThan(0.5);
    // Two rounds decide no latency; the big model's larger peak memory fails the default gate, as above.
    expect(turnsReport.budgets.filter((b) => !b.passed).map((b) => b.metric)).toEqual(['peakRssBytes']);
    expect(paired.exitCode).toBe(1);
  });
});
