import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reporterNamesArg, reporterOption } from '../../harness/commands/reporter-option.ts';
import { Report } from '../../harness/core/report.ts';
import { ReporterName } from '../../harness/core/reporter-name.ts';
import { smallProject, type TempProject } from '../helpers/project.ts';
import { latencies, results } from '../helpers/results.ts';
import { parseXml } from '../helpers/xml.ts';

const BIN = fileURLToPath(new URL('../../bin/edgebench.js', import.meta.url));

let project: TempProject;
beforeAll(async () => {
  project = await smallProject();
  const suite = { budgets: [{ metric: 'latency.p50', increase: { relative: 0.05 }, name: 'p50 growth' }] };
  const spec = (ms: number, seed: number) => [{ variant: 'fp32', samples: latencies(300, ms, seed), repeats: 3 }];
  await project.write('base/results.json', JSON.stringify(results(spec(2, 1), { runId: 'base', suite })));
  await project.write('slow/results.json', JSON.stringify(results(spec(2.6, 2), { runId: 'slow', suite })));
}, 60_000);
afterAll(() => project.cleanup());

const edgebench = (args: string[]) =>
  execa(process.execPath, [BIN, ...args], { cwd: project.dir, reject: false, env: { NO_COLOR: '1', GITHUB_ACTIONS: '', GITHUB_STEP_SUMMARY: '' } });

/** A command with only --reporter, parsed from `args`; commander's errors are thrown, not printed. */
function parse(args: string[]): ReporterName[] | undefined {
  const command = reporterOption(new Command('x'), 'console')
    .exitOverride()
    .configureOutput({ writeErr: () => undefined })
    .argument('[files...]');
  command.parse(args, { from: 'user' });
  return command.opts<{ reporter?: ReporterName[] }>().reporter;
}

describe('--reporter', () => {
  it('takes names separated by spaces or commas, in order, each once', () => {
    expect(parse(['--reporter', 'json', 'junit,markdown', '--reporter', 'json'])).toEqual(['json', 'junit', 'markdown']);
    expect(parse(['a.json', '--reporter=html'])).toEqual(['html']);
    expect(parse(['a.json'])).toBeUndefined();
  });

  it('refuses an unknown name, listing every valid one', () => {
    expect(() => reporterNamesArg('markdwn', undefined)).toThrow(InvalidArgumentError);
    expect(() => reporterNamesArg('markdwn', undefined)).toThrow(`unknown reporter "markdwn": use one or more of ${ReporterName.options.join(', ')}`);
    // A file name swallowed by the variadic option is explained.
    expect(() => reporterNamesArg('reports/run', undefined)).toThrow(
      /--reporter takes every word up to the next option, so write --reporter=<name> or put it after the files/,
    );
  });

  it('edgebench report --reporter=json -o writes report.json, the Report, and no page', async () => {
    const result = await edgebench(['report', 'slow', '--baseline', 'base', '--reporter=json', '-o', 'out/json']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe('json: out/json/report.json');
    const report = Report.parse(JSON.parse(await readFile(project.path('out/json/report.json'), 'utf8')));
    expect(report.runs.map((r) => r.runId)).toEqual(['slow']);
    expect(report.baseline?.runId).toBe('base');
    expect(report.gates[0]!.status).toBe('fail');
    expect(await readdir(project.path('out/json'))).toEqual(['report.json']);
  });

  it("edgebench compare --reporter markdown junit -o writes both into the folder, and the exit code is still the gate's", async () => {
    const result = await edgebench(['compare', 'base', 'slow', '-o', 'out/gate', '--reporter', 'markdown', 'junit']);
    expect(result.exitCode, result.stderr).toBe(1);
    // The verdict was not chosen: only where the files went is printed.
    expect(result.stdout.split('\n')).toEqual(['markdown: out/gate/summary.md', 'junit: out/gate/junit.xml']);
    expect(await readFile(project.path('out/gate/summary.md'), 'utf8')).toMatch(/^## ❌ edgebench gate: FAIL .*p50 growth/);
    expect(parseXml(await readFile(project.path('out/gate/junit.xml'), 'utf8')).attributes['failures']).toBe('1');
  });

  it('edgebench compare without --reporter prints the verdict; a file flag adds its reporter', async () => {
    const result = await edgebench(['compare', 'base', 'slow', '--junit', 'out/j.xml']);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/^FAIL: 1 budget check\(s\) at level error failed/);
    expect(result.stdout).toMatch(/\njunit: out\/j\.xml$/);
    expect(existsSync(project.path('slow/summary.md'))).toBe(false);
  });

  it('an unknown name is a usage error (exit 2) that lists the valid names', async () => {
    for (const command of [['report', 'slow'], ['compare', 'slow'], ['run']]) {
      const result = await edgebench([...command, '--reporter', 'pdf']);
      expect(result.exitCode, command[0]).toBe(2);
      expect(result.stderr).toContain(`unknown reporter "pdf": use one or more of ${ReporterName.options.join(', ')}`);
    }
  });

  it('--help of each command lists every reporter with what it writes', async () => {
    for (const command of ['report', 'compare', 'run']) {
      const help = await edgebench([command, '--help']);
      expect(help.exitCode).toBe(0);
      for (const name of ReporterName.options) expect(help.stdout, `${command} --help`).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
      expect(help.stdout).toContain('(writes junit.xml)');
    }
  });

  it('edgebench run --reporter console json writes report.json into the run folder and no page', async () => {
    const result = await edgebench(['run', '--suite', 'suites/small.yaml', '--run-id', 'chosen', '--reporter', 'console', 'json']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^device\s+variant\s+status/);
    expect(result.stdout).toContain('json: reports/chosen/report.json');
    expect((await readdir(project.path('reports/chosen'))).sort()).toEqual(['journal.jsonl', 'report.json', 'results.json']);
    const report = Report.parse(JSON.parse(await readFile(project.path('reports/chosen/report.json'), 'utf8')));
    expect(report.runs[0]!.runId).toBe('chosen');
  }, 120_000);
});
