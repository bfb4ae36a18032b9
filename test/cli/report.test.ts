import { readFile, readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smallProject, suiteYaml, type TempProject } from '../helpers/project.ts';

const BIN = fileURLToPath(new URL('../../bin/edgebench.js', import.meta.url));

let project: TempProject;
beforeAll(async () => {
  project = await smallProject();
  await project.write(
    'suites/gate.yaml',
    suiteYaml({ iterations: 50, repeats: 3, extra: 'budgets:\n  - {metric: latency.p50, max: 0.000001, name: impossible p50}' }),
  );
  for (const id of ['main', 'pr']) {
    const run = await execa(process.execPath, [BIN, 'run', '--suite', 'suites/gate.yaml', '--run-id', id, '--no-report'], { cwd: project.dir, reject: false });
    expect(run.exitCode).toBe(0);
  }
});
afterAll(() => project.cleanup());

const edgebench = (args: string[]) => execa(process.execPath, [BIN, ...args], { cwd: project.dir, reject: false });

describe('edgebench report (the real CLI)', () => {
  it('writes the page and every chart as SVG for a run against a baseline', async () => {
    expect((await readdir(project.path('reports/pr'))).sort()).toEqual(['journal.jsonl', 'results.json']);
    const result = await edgebench(['report', 'reports/pr', '--baseline', 'reports/main']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^report: reports\/pr\/index\.html \(\d+\.\d\d MB, 4 charts also as SVG\)/);
    expect((await readdir(project.path('reports/pr/charts'))).sort()).toEqual(['deltas.svg', 'latency-box.svg', 'latency-cdf.svg', 'memory-disk.svg']);
    const html = await readFile(project.path('reports/pr/index.html'), 'utf8');
    expect(html).toContain('data-status="fail"');
    expect(html).toContain('impossible p50');
    expect(html).toMatch(/baseline <code>main<\/code>/);
  });

  it('writes into another folder with --out, and exits 2 for a missing run', async () => {
    expect((await edgebench(['report', 'reports/main', '-o', 'out/html'])).exitCode).toBe(0);
    expect(await readFile(project.path('out/html/index.html'), 'utf8')).toContain('<!doctype html>');
    const missing = await edgebench(['report', 'reports/none']);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/reports\/none: results file not found/);
  });

  it("adds each metric's trend with --history, from a file history add wrote", async () => {
    const added = await edgebench(['history', 'add', 'reports/main', '--store', 'history/h.jsonl', '--commit', 'a1b2c3d4e5f6a7b8', '--branch', 'main']);
    expect(added.exitCode, added.stderr).toBe(0);
    const result = await edgebench(['report', 'reports/pr', '--history', 'history/h.jsonl', '-o', 'out/trend']);
    expect(result.exitCode, result.stderr).toBe(0);
    const charts = await readdir(project.path('out/trend/charts'));
    expect(charts).toContain('trends.svg');
    const html = await readFile(project.path('out/trend/index.html'), 'utf8');
    expect(html).toContain('<h2>Trends: each metric over the stored history</h2>');
    expect(html).toContain('id="chart-trends"');
    // Two runs, the stored one and this report's: a line to look at, too short for a change point.
    expect(html).toContain('Too few runs to find a change point (at least 6 are needed): host / fp32 has 2 runs.');
    expect(html).toContain('Not in history/h.jsonl yet, drawn as a diamond: run pr');
    expect(html).toContain('a1b2c3d4e5f6');

    const without = await readFile(project.path('out/html/index.html'), 'utf8');
    expect(without).toContain('No history given: pass --history &lt;file&gt;');

    // run draws the same view on the page it writes at the end.
    const run = await edgebench(['run', '--suite', 'suites/gate.yaml', '--run-id', 'next', '--history', 'history/h.jsonl']);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(await readFile(project.path('reports/next/index.html'), 'utf8')).toContain('Not in history/h.jsonl yet, drawn as a diamond: run next');
  }, 60_000);

  it('exits 2 naming the file, the line and the fix when the history is missing or damaged', async () => {
    const missing = await edgebench(['report', 'reports/pr', '--history', 'history/none.jsonl', '-o', 'out/none']);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain(
      'history/none.jsonl: history file not found\n  fix: check the path, or write the history first with edgebench history add',
    );

    const good = await readFile(project.path('history/h.jsonl'), 'utf8');
    await project.write('history/damaged.jsonl', `${good}{"runId": "half a line\n`);
    const damaged = await edgebench(['report', 'reports/pr', '--history', 'history/damaged.jsonl', '-o', 'out/damaged']);
    expect(damaged.exitCode).toBe(2);
    expect(damaged.stderr).toMatch(/history\/damaged\.jsonl: line 2: not a history entry \(not JSON\)\n {2}fix: repair or delete that line/);

    // run reads the history before it touches a device: a wrong path costs nothing.
    const run = await edgebench(['run', '--suite', 'suites/gate.yaml', '--run-id', 'never', '--history', 'history/none.jsonl']);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain('history/none.jsonl: history file not found');
    expect(await readdir(project.path('reports'))).not.toContain('never');
    // A history with the report turned off would be read for nothing: said, with the fix.
    const silent = await edgebench(['run', '--suite', 'suites/gate.yaml', '--run-id', 'never', '--history', 'history/h.jsonl', '--no-report']);
    expect(silent.exitCode).toBe(2);
    expect(silent.stderr).toMatch(
      /--history: --history draws trends in the HTML report, and --no-report \(or a --reporter list without html\) leaves the report out\n {2}fix: drop one of the two/,
    );
    expect(await readdir(project.path('reports'))).not.toContain('never');
  });
});
