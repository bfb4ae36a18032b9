import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gate } from '../../harness/compare/gate.ts';
import { Report } from '../../harness/core/report.ts';
import { ReporterName } from '../../harness/core/reporter-name.ts';
import { REPORTER_NAMES, REPORTERS } from '../../harness/report/reporters/registry.ts';
import type { ReporterOutput } from '../../harness/report/reporters/reporter.ts';
import { buildReport } from '../../harness/report/report.ts';
import { latencies, results } from '../helpers/results.ts';
import { elementsNamed, parseXml } from '../helpers/xml.ts';

/**
 * A baseline and a candidate run of two variants, the candidate's fp32 15% slower, with three budgets:
 * p50 growth at most 5% (fails), peak RSS at most 400 MB (passes) and p90 at most 1 ms at level warn (fails).
 */
function fixtureReport(): Report {
  const suite = {
    budgets: [
      { metric: 'latency.p50', increase: { relative: 0.05 }, name: 'p50 growth' },
      { metric: 'peakRssBytes', max: 400e6 },
      { metric: 'latency.p90', max: 1, level: 'warn', name: 'p90 under 1 ms' },
    ],
  };
  const spec = (fp32Ms: number, seed: number) => [
    { variant: 'fp32', samples: latencies(300, fp32Ms, seed), repeats: 3, peakRssBytes: 300e6 },
    { variant: 'int8', samples: latencies(300, 1.2, seed + 1), repeats: 3, peakRssBytes: 200e6 },
  ];
  const baseline = results(spec(2, 1), { runId: 'base', suite });
  const candidate = results(spec(2.3, 3), { runId: 'cand', suite });
  const gateReport = gate({ baseline: { results: baseline, file: 'base/results.json' }, candidate: { results: candidate, file: 'cand/results.json' } });
  return Report.parse(buildReport({ runs: [candidate], baseline, gates: [gateReport], now: new Date('2026-01-02T03:04:05Z') }));
}

interface Captured {
  out: ReporterOutput;
  printed: string[];
  commands: string[];
}

let dir: string;
let report: Report;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgebench-reporters-'));
  report = fixtureReport();
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function capture(sub: string, fields: Partial<ReporterOutput> = {}): Captured {
  const printed: string[] = [];
  const commands: string[] = [];
  const out: ReporterOutput = { dir: join(dir, sub), print: (text) => printed.push(text), workflowCommand: (line) => commands.push(line), env: {}, ...fields };
  return { out, printed, commands };
}

/** Splits a Markdown table row at its unescaped pipes. */
const cells = (row: string) =>
  row
    .split(/(?<!\\)\|/)
    .slice(1, -1)
    .map((c) => c.trim());

describe('the reporter registry', () => {
  it('holds one reporter under each name, and a file reporter names its file', () => {
    expect(Object.keys(REPORTERS).sort()).toEqual([...ReporterName.options].sort());
    expect(REPORTER_NAMES).toEqual(ReporterName.options);
    for (const name of REPORTER_NAMES) {
      expect(REPORTERS[name].name).toBe(name);
      expect(REPORTERS[name].description.length).toBeGreaterThan(20);
    }
    const files = Object.fromEntries(REPORTER_NAMES.flatMap((name) => ('fileName' in REPORTERS[name] ? [[name, REPORTERS[name].fileName]] : [])));
    expect(files).toEqual({
      html: 'index.html',
      json: 'report.json',
      markdown: 'summary.md',
      junit: 'junit.xml',
      'benchmark-json': 'benchmark.json',
      'bencher-json': 'bencher.json',
    });
  });

  it('the fixture fails its gate on p50 growth of fp32 and warns on p90', () => {
    const failed = report.gates[0]!.budgets.filter((b) => !b.passed).map((b) => `${b.level} ${b.name} ${b.variant}`);
    expect(failed).toContain('error p50 growth fp32');
    expect(failed).toContain('warn p90 under 1 ms fp32');
    expect(failed.filter((f) => f.startsWith('error'))).toEqual(['error p50 growth fp32']);
    expect(report.gates[0]!.status).toBe('fail');
  });
});

describe('each reporter writes what it should from a Report', () => {
  it('console: one row per cell with its p50, and the run named when there are several', async () => {
    const { out, printed } = capture('console');
    await REPORTERS.console.write(report, out);
    const lines = printed.join('\n').split('\n');
    expect(lines[0]).toMatch(/^device\s+variant\s+status\s+n\s+p50 ms/);
    const fp32 = report.runs[0]!.cells.find((c) => c.variant.name === 'fp32')!;
    const p50 = fp32.metrics.latencyMs.source === 'measured' ? fp32.metrics.latencyMs.summary.p50.toFixed(3) : '';
    expect(lines.find((l) => /^host\s+fp32\s+ok/.test(l))).toContain(p50);
    expect(lines.filter((l) => /^host\s+int8\s+ok/.test(l))).toHaveLength(1);
    expect(lines.some((l) => l.startsWith('run '))).toBe(false);

    const two = capture('console-two');
    await REPORTERS.console.write({ ...report, runs: [report.runs[0]!, report.baseline!], gates: [...report.gates, ...report.gates] }, two.out);
    expect(two.printed.filter((p) => p.startsWith('run '))).toEqual(['run cand (synthetic):', 'run base (synthetic):']);
  });

  it('verdict: FAIL first, the failed budget, and the changes (every comparison with all)', async () => {
    const { out, printed } = capture('verdict');
    await REPORTERS.verdict.write(report, out);
    const text = printed.join('\n');
    expect(text).toMatch(/^FAIL: 1 budget check\(s\) at level error failed/);
    expect(text).toMatch(/FAIL\s+error\s+p50 growth\s+host\s+fp32/);
    expect(text).toMatch(/host\s+fp32\s+latency\.p50\s+.*regressed/);
    const changed = Number(/(\d+) of (\d+) comparisons/.exec(text)![1]);
    const every = capture('verdict-all', { all: true });
    await REPORTERS.verdict.write(report, every.out);
    const all = /(\d+) of (\d+) comparisons/.exec(every.printed.join('\n'))!;
    expect(Number(all[1])).toBe(report.gates[0]!.comparisons.length);
    expect(Number(all[1])).toBeGreaterThan(changed);

    const two = capture('verdict-two');
    await REPORTERS.verdict.write(
      {
        ...report,
        runs: [report.runs[0]!, report.runs[0]!],
        gates: [report.gates[0]!, { ...report.gates[0]!, candidate: { runId: 'again', file: 'again/results.json' } }],
      },
      two.out,
    );
    expect(
      two.printed
        .join('\n')
        .split('\n')
        .filter((l) => l.startsWith('run ') || /^(PASS|FAIL): /.test(l)),
    ).toEqual(['run cand:', 'FAIL: 1 budget check(s) at level error failed', 'run again:', 'FAIL: 1 budget check(s) at level error failed']);
  });

  it('json: report.json parses back as the Report it was written from', async () => {
    const { out, printed } = capture('json');
    await REPORTERS.json.write(report, out);
    const file = join(out.dir, 'report.json');
    const parsed = Report.parse(JSON.parse(await readFile(file, 'utf8')));
    expect(parsed).toEqual(report);
    expect(parsed.schemaVersion).toBe(1);
    expect(printed).toEqual([expect.stringMatching(/^json: .*report\.json$/)]);
  });

  it("markdown: summary.md has the FAIL headline and tables whose rows all have their header's cells", async () => {
    const { out } = capture('markdown');
    await REPORTERS.markdown.write(report, out);
    const text = await readFile(join(out.dir, 'summary.md'), 'utf8');
    expect(text.split('\n')[0]).toMatch(/^## ❌ edgebench gate: FAIL — 1 error-level budget failed: \*\*p50 growth\*\* \(latency\.p50 on host \/ fp32\)/);
    const tables = text
      .split('\n\n')
      .map((block) => block.trim())
      .filter((block) => block.startsWith('| '));
    expect(tables.length).toBeGreaterThanOrEqual(3);
    for (const table of tables) {
      const rows = table.split('\n');
      expect(cells(rows[1]!).every((c) => c === '---')).toBe(true);
      for (const row of rows) expect(cells(row)).toHaveLength(cells(rows[0]!).length);
    }
    const budgets = tables[0]!.split('\n').slice(2).map(cells);
    expect(budgets.map((row) => [row[0], row[1], row[3]])).toEqual([
      ['❌ error', 'p50 growth', 'fp32'],
      ['⚠️ warn', 'p90 under 1 ms', 'fp32'],
      ['⚠️ warn', 'p90 under 1 ms', 'int8'],
    ]);
  });

  it('markdown: out.file is written instead of <dir>/summary.md', async () => {
    const file = join(dir, 'elsewhere', 'gate.md');
    const { out } = capture('markdown-file', { file });
    await REPORTERS.markdown.write(report, out);
    expect(await readFile(file, 'utf8')).toMatch(/edgebench gate: FAIL/);
    await expect(readdir(out.dir)).rejects.toThrow();
  });

  it('junit: junit.xml parses back to one testcase per budget check, the error-level one failed', async () => {
    const { out } = capture('junit');
    await REPORTERS.junit.write(report, out);
    const root = parseXml(await readFile(join(out.dir, 'junit.xml'), 'utf8'));
    expect(root.name).toBe('testsuites');
    const budgets = report.gates[0]!.budgets;
    expect(root.attributes).toMatchObject({ tests: String(budgets.length), failures: '1', skipped: '0' });
    const cases = elementsNamed(root, 'testcase');
    expect(cases).toHaveLength(budgets.length);
    const failed = cases.filter((c) => c.children.some((child) => child.name === 'failure'));
    expect(failed.map((c) => [c.attributes['classname'], c.attributes['name']])).toEqual([['host.fp32', 'p50 growth (latency.p50)']]);
    const properties = Object.fromEntries(elementsNamed(root, 'property').map((p) => [p.attributes['name'], p.attributes['value']]));
    expect(properties).toMatchObject({ status: 'fail', 'candidate.runId': 'cand', 'baseline.runId': 'base' });
  });

  it('junit: several runs are one testsuite each, named by run', async () => {
    const { out } = capture('junit-two');
    await REPORTERS.junit.write(
      {
        ...report,
        runs: [report.runs[0]!, report.runs[0]!],
        gates: [report.gates[0]!, { ...report.gates[0]!, candidate: { runId: 'again', file: 'again/results.json' } }],
      },
      out,
    );
    const root = parseXml(await readFile(join(out.dir, 'junit.xml'), 'utf8'));
    expect(elementsNamed(root, 'testsuite').map((s) => s.attributes['name'])).toEqual(['edgebench gate (cand)', 'edgebench gate (again)']);
    expect(root.attributes['failures']).toBe('2');
  });

  it('github: an ::error per failed error-level budget and a ::warning per failed warn-level one, as workflow commands', async () => {
    const { out, printed, commands } = capture('github');
    await REPORTERS.github.write(report, out);
    expect(printed).toEqual([]);
    expect(commands.filter((c) => c.startsWith('::error '))).toEqual([
      expect.stringMatching(/^::error title=edgebench budget p50 growth failed on host \/ fp32::/),
    ]);
    const warnings = commands.filter((c) => c.startsWith('::warning title=edgebench budget p90 under 1 ms'));
    expect(warnings).toHaveLength(2);
  });

  it('step-summary: appends the Markdown to $GITHUB_STEP_SUMMARY, keeping what earlier steps wrote', async () => {
    const summary = join(dir, 'step-summary.md');
    await writeFile(summary, 'earlier step\n');
    const { out } = capture('step-summary', { env: { GITHUB_STEP_SUMMARY: summary } });
    await REPORTERS['step-summary'].write(report, out);
    const text = await readFile(summary, 'utf8');
    expect(text.startsWith('earlier step\n## ❌ edgebench gate: FAIL')).toBe(true);
  });

  it('step-summary: without $GITHUB_STEP_SUMMARY says so and writes nothing', async () => {
    const { out, printed } = capture('step-summary-unset');
    await REPORTERS['step-summary'].write(report, out);
    expect(printed).toEqual([expect.stringMatching(/GITHUB_STEP_SUMMARY is not set/)]);
    await expect(readdir(out.dir)).rejects.toThrow();
  });

  it("benchmark-json: the candidate's cells for github-action-benchmark, p50 as measured", async () => {
    const { out } = capture('benchmark-json');
    await REPORTERS['benchmark-json'].write(report, out);
    const entries = JSON.parse(await readFile(join(out.dir, 'benchmark.json'), 'utf8')) as { name: string; unit: string; value: number }[];
    const fp32 = report.runs[0]!.cells.find((c) => c.variant.name === 'fp32')!.metrics.latencyMs;
    expect(entries.find((e) => e.name === 'synthetic host fp32 latency p50')).toMatchObject({
      unit: 'ms',
      value: fp32.source === 'measured' ? fp32.summary.p50 : -1,
    });
    expect(entries.filter((e) => e.name.startsWith('synthetic host int8 '))).toHaveLength(5);
  });

  it('bencher-json: one benchmark per cell, latency in nanoseconds', async () => {
    const { out } = capture('bencher-json');
    await REPORTERS['bencher-json'].write(report, out);
    const benchmarks = JSON.parse(await readFile(join(out.dir, 'bencher.json'), 'utf8')) as Record<string, Record<string, { value: number }>>;
    expect(Object.keys(benchmarks)).toEqual(['synthetic host fp32', 'synthetic host int8']);
    const fp32 = report.runs[0]!.cells.find((c) => c.variant.name === 'fp32')!.metrics.latencyMs;
    expect(benchmarks['synthetic host fp32']!['latency']!.value).toBe(Math.round((fp32.source === 'measured' ? fp32.summary.p50 : -1) * 1e6));
    expect(benchmarks['synthetic host fp32']!['peak-rss']!.value).toBe(300e6);
  });

  it('html: index.html and every chart as SVG in out.dir, and says where', async () => {
    const { out, printed } = capture('html');
    await REPORTERS.html.write(report, out);
    const html = await readFile(join(out.dir, 'index.html'), 'utf8');
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).toContain('p50 growth');
    const charts = await readdir(join(out.dir, 'charts'));
    expect(charts.length).toBeGreaterThan(0);
    expect(charts.every((c) => c.endsWith('.svg'))).toBe(true);
    expect(printed).toEqual([expect.stringMatching(new RegExp(`^report: .*index\\.html \\(\\d+\\.\\d\\d MB, ${charts.length} charts also as SVG\\)$`))]);
  }, 60_000);
});
