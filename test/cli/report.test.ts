import { readFile, readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smallProject, suiteYaml, type TempProject } from '../helpers/project.ts';

const BIN = fileURLToPath(new URL('../../bin/edgebench.js', import.meta.url));

let project: TempProject;
beforeAll(async () => {
  project = await smallProject();
  await project.write('suites/gate.yaml', suiteYaml({ iterations: 50, repeats: 3, extra: 'budgets:\n  - {metric: latency.p50, max: 0.000001, name: impossible p50}' }));
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
});
