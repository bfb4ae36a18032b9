import { execFileSync } from 'node:child_process';
import { cp, readFile, rename, writeFile } from 'node:fs/promises';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJournal } from '../../harness/results/journal.ts';
import { Results } from '../../harness/core/results.ts';
import { smallProject, suiteYaml, type TempProject } from '../helpers/project.ts';

const BIN = fileURLToPath(new URL('../../bin/edgebench.js', import.meta.url));

let project: TempProject;
let readOnly: string | undefined;
beforeAll(async () => {
  project = await smallProject();
  await project.write(
    'suites/two.yaml',
    suiteYaml({
      iterations: 3000,
      repeats: 3,
      variants: '  - {name: a, precision: fp32, file: ../models/small/model.onnx}\n  - {name: b, precision: fp32, file: ../models/small/model.onnx}',
    }),
  );
  await project.write('two-devices.yaml', 'devices:\n  - id: host\n    kind: local\n  - id: host-again\n    kind: local\n');
  mkdirSync(project.path('ro'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,ro', 'edgebench-read-only', project.path('ro')]);
  readOnly = project.path('ro');
});
afterAll(async () => {
  if (readOnly) execFileSync('umount', [readOnly]);
  await project.cleanup();
});

const edgebench = (args: string[]) => execa(process.execPath, [BIN, ...args], { cwd: project.dir, reject: false, env: { NO_COLOR: '1' } });
const results = async (dir: string) => Results.parse(JSON.parse(await readFile(project.path(dir, 'results.json'), 'utf8')));

/** Runs the two-variant suite and sends SIGINT while its third runner process runs. */
async function interruptedRun(runId: string, out = 'reports') {
  const child = execa(process.execPath, [BIN, 'run', '--suite', 'suites/two.yaml', '--out', out, '--run-id', runId, '--no-report'], {
    cwd: project.dir,
    reject: false,
  });
  child.stderr.on('data', (chunk: Buffer) => {
    if (chunk.toString().includes('[3/6]')) setTimeout(() => child.kill('SIGINT'), 150);
  });
  const stopped = await child;
  expect(stopped.exitCode, stopped.stderr).toBe(130);
}

/** Neither a stack trace nor an internal error: a message an operator can act on. */
const plainly = (stderr: string) => {
  expect(stderr).not.toMatch(/internal error|\n\s+at /);
};

describe('resuming a run folder that was moved or renamed', () => {
  it('finishes the folder it was given, and leaves the unrelated run of the same id beside it alone', async () => {
    await interruptedRun('nightly');
    mkdirSync(project.path('ci'));
    await rename(project.path('reports/nightly'), project.path('ci/run-123'));
    const other = await edgebench(['run', '--suite', 'suites/small.yaml', '--out', 'ci', '--run-id', 'nightly', '--no-report']);
    expect(other.exitCode, other.stderr).toBe(0);
    const untouched = { results: await readFile(project.path('ci/nightly/results.json')), journal: await readFile(project.path('ci/nightly/journal.jsonl')) };

    const resumed = await edgebench(['run', '--resume', 'ci/run-123', '--no-report']);
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('results: ci/run-123/results.json');
    const finished = await results('ci/run-123');
    expect(finished.status).toBe('complete');
    expect(finished.cells.map((c) => [c.variant.name, c.status, c.samples.length])).toEqual([
      ['a', 'ok', 9000],
      ['b', 'ok', 9000],
    ]);
    expect(await readFile(project.path('ci/nightly/results.json'))).toEqual(untouched.results);
    expect(await readFile(project.path('ci/nightly/journal.jsonl'))).toEqual(untouched.journal);
  }, 180_000);

  it('finishes a renamed folder at once, creating no folder under the old name', async () => {
    await interruptedRun('before-rename');
    await rename(project.path('reports/before-rename'), project.path('reports/after-rename'));
    const resumed = await edgebench(['run', '--resume', 'reports/after-rename', '--no-report']);
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    expect((await results('reports/after-rename')).status).toBe('complete');
    expect(existsSync(project.path('reports/before-rename'))).toBe(false);
  }, 180_000);
});

describe('two processes on one run folder', () => {
  it('refuses a second resume while one runs, naming who holds the folder; the run is recorded once', async () => {
    await interruptedRun('contended');
    const first = execa(process.execPath, [BIN, 'run', '--resume', 'reports/contended', '--no-report'], { cwd: project.dir, reject: false });
    // The second starts once the first is measuring, so it holds the folder; the first is held still meanwhile, so it cannot finish first.
    await new Promise<void>((resolve) => first.stderr.on('data', (chunk: Buffer) => chunk.toString().includes('[1/') && resolve()));
    first.kill('SIGSTOP');
    const second = await edgebench(['run', '--resume', 'reports/contended', '--no-report']);
    first.kill('SIGCONT');
    expect(second.exitCode).toBe(2);
    expect(second.stderr).toMatch(
      new RegExp(
        `run folder reports/contended is in use by edgebench process ${first.pid} on ${hostname()} \\(run --resume reports/contended, started 20\\d\\d-[^)]*\\)`,
      ),
    );
    expect(second.stderr).toMatch(/Wait for it to finish, or stop it; if no such process runs any more, delete reports\/contended\/edgebench\.lock/);
    plainly(second.stderr);
    expect((await first).exitCode).toBe(0);
    expect((await readJournal(project.path('reports/contended/journal.jsonl'))).completed).toHaveLength(6);
    expect(existsSync(project.path('reports/contended/edgebench.lock'))).toBe(false);
    // Resumable again (nothing left to run) once the first is done.
    expect((await edgebench(['run', '--resume', 'reports/contended', '--no-report'])).exitCode).toBe(0);
  }, 180_000);

  it('takes over the lock of a run that was killed, and says so', async () => {
    await interruptedRun('killed');
    const child = execa(process.execPath, ['-e', '']);
    const gone = child.pid!;
    await child;
    await writeFile(
      project.path('reports/killed/edgebench.lock'),
      JSON.stringify({ pid: gone, hostname: hostname(), command: 'run --resume reports/killed', startedAt: '2026-01-01T00:00:00.000Z' }),
    );
    const resumed = await edgebench(['run', '--resume', 'reports/killed', '--no-report']);
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(
      `reports/killed/edgebench.lock: took over the lock of edgebench process ${gone} (run --resume reports/killed, started 2026-01-01T00:00:00.000Z), which is no longer running`,
    );
  }, 180_000);
});

describe('a journal holding extreme numbers', () => {
  it('resumes from latencies of 1e308 ms to a results.json with finite summaries, and refuses 1e999 as a damaged line', async () => {
    await interruptedRun('extreme');
    const file = project.path('reports/extreme/journal.jsonl');
    const lines = (await readFile(file, 'utf8')).split('\n');
    const timed = lines.findIndex((l) => l.includes('"phase":"timed"'));
    const entry = JSON.parse(lines[timed]!);
    entry.event.latenciesMs = entry.event.latenciesMs.map(() => 1e308);
    lines[timed] = JSON.stringify(entry);
    await cp(project.path('reports/extreme'), project.path('reports/extreme-copy'), { recursive: true });
    await writeFile(file, lines.join('\n'));

    const resumed = await edgebench(['run', '--resume', 'reports/extreme', '--no-report']);
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    const finished = await results('reports/extreme');
    expect(finished.status).toBe('complete');
    const latency = finished.cells.find((c) => c.samples.some((s) => s.latencyMs === 1e308))!.metrics.latencyMs;
    expect(latency.source).toBe('measured');
    if (latency.source === 'measured') expect(Object.values(latency.summary).every(Number.isFinite)).toBe(true);

    const overflow = project.path('reports/extreme-copy/journal.jsonl');
    const copy = (await readFile(overflow, 'utf8')).split('\n');
    copy[timed] = copy[timed]!.replace(/"latenciesMs":\[[0-9.e+-]+/, '"latenciesMs":[1e999');
    await writeFile(overflow, copy.join('\n'));
    const refused = await edgebench(['run', '--resume', 'reports/extreme-copy', '--no-report']);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(new RegExp(`journal\\.jsonl, line ${timed + 1}: not a journal entry`));
  }, 180_000);
});

describe('a journal that holds a runner process twice (as two resumes at once wrote it)', () => {
  it('resumes, keeping the last record of the repeat', async () => {
    await interruptedRun('twice');
    const file = project.path('reports/twice/journal.jsonl');
    const text = await readFile(file, 'utf8');
    const entries = text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
    const again = 1 + Math.max(...entries.map((e) => e.attempt ?? -1));
    const copy = entries.filter((e) => e.attempt === 0).map((e) => JSON.stringify({ ...e, attempt: again }));
    await writeFile(file, `${text}${copy.join('\n')}\n`);
    expect((await readJournal(file)).completed).toHaveLength(3);

    const resumed = await edgebench(['run', '--resume', 'reports/twice', '--no-report']);
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    const finished = await results('reports/twice');
    expect(finished.cells.map((c) => [c.variant.name, c.status, (c.repeats ?? []).length])).toEqual([
      ['a', 'ok', 3],
      ['b', 'ok', 3],
    ]);
    expect(finished.cells.flatMap((c) => c.repeats ?? []).some((r) => r.lostAttempts)).toBe(false);
  }, 180_000);
});

describe('merge of hostile shards', () => {
  it('refuses overlapping shards, run ids that lead out of -o, an existing merged run and a read-only -o, each with the reason', async () => {
    for (const index of [1, 2]) {
      const shard = await edgebench([
        'run',
        '--suite',
        'suites/small.yaml',
        '--devices',
        'two-devices.yaml',
        '--shard',
        `${index}/2`,
        '--run-id',
        `part-${index}`,
        '--no-report',
      ]);
      expect(shard.exitCode, shard.stderr).toBe(0);
    }
    const one = await results('reports/part-1');
    const two = await results('reports/part-2');
    await project.write('hostile/overlap/results.json', JSON.stringify({ ...one, cells: [...one.cells, ...two.cells] }));
    const overlap = await edgebench(['merge', 'hostile/overlap', 'reports/part-2', '--run-id', 'overlap']);
    expect(overlap.exitCode).toBe(2);
    expect(overlap.stderr).toMatch(/run part-1 holds cell host-again x fp32, but device host-again is not one of its devices \(host\)/);
    expect(existsSync(project.path('reports/overlap'))).toBe(false);

    await project.write('hostile/escape/results.json', JSON.stringify({ ...one, runId: '../../escaped' }));
    const escape = await edgebench(['merge', 'hostile/escape', 'reports/part-2']);
    expect(escape.exitCode).toBe(2);
    expect(escape.stderr).toMatch(/runId: the run id "\.\.\/\.\.\/escaped" cannot name the merged run's folder\n {2}fix: pass --run-id/);
    const flag = await edgebench(['merge', 'reports/part-1', 'reports/part-2', '--run-id', '../../x']);
    expect(flag.exitCode).toBe(2);
    expect(flag.stderr).toMatch(/--run-id.*use letters, digits/);
    expect(existsSync(project.path('escaped'))).toBe(false);
    expect(existsSync(project.path('../escaped'))).toBe(false);

    const merged = await edgebench(['merge', 'reports/part-1', 'reports/part-2', '--run-id', 'both', '--no-report']);
    expect(merged.exitCode, merged.stderr).toBe(0);
    const before = await readFile(project.path('reports/both/results.json'));
    const again = await edgebench(['merge', 'reports/part-2', 'reports/part-1', '--run-id', 'both', '--no-report']);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toMatch(/run folder reports\/both already holds a run \(reports\/both\/results\.json\); merge does not overwrite it/);
    expect(await readFile(project.path('reports/both/results.json'))).toEqual(before);
    expect(readdirSync(project.path('reports/both'))).toEqual(['results.json']);

    const readOnlyOut = await edgebench(['merge', 'reports/part-1', 'reports/part-2', '-o', 'ro/merged', '--run-id', 'm']);
    expect(readOnlyOut.exitCode).toBe(2);
    expect(readOnlyOut.stderr).toMatch(/cannot write ro\/merged\/m: read-only file system \(EROFS\)/);
    plainly(readOnlyOut.stderr);
  }, 180_000);
});

describe('output folders that cannot be written (a read-only tmpfs, as root)', () => {
  it('exits 2 naming the folder and the cause, for run, compare, history add and report', async () => {
    const run = await edgebench(['run', '--suite', 'suites/small.yaml', '--out', 'ro/reports', '--run-id', 'r', '--no-report']);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/cannot write ro\/reports\/r: read-only file system \(EROFS\); write to a writable folder/);
    plainly(run.stderr);

    const source = await edgebench(['run', '--suite', 'suites/small.yaml', '--run-id', 'source', '--no-report']);
    expect(source.exitCode, source.stderr).toBe(0);
    for (const flag of ['--markdown', '--junit', '--json']) {
      const compared = await edgebench(['compare', 'reports/source', 'reports/source', flag, 'ro/gate/out']);
      expect(compared.exitCode, `compare ${flag}`).toBe(2);
      expect(compared.stderr).toMatch(/cannot write ro\/gate\/out: read-only file system \(EROFS\)/);
      plainly(compared.stderr);
    }
    const summary = await execa(process.execPath, [BIN, 'compare', 'reports/source'], {
      cwd: project.dir,
      reject: false,
      env: { GITHUB_STEP_SUMMARY: 'ro/summary.md' },
    });
    expect(summary.exitCode).toBe(2);
    expect(summary.stderr).toMatch(/cannot write ro\/summary\.md: read-only file system \(EROFS\)/);

    const history = await edgebench(['history', 'add', 'reports/source', '--store', 'ro/history/h.jsonl', '--commit', 'abc123']);
    expect(history.exitCode).toBe(2);
    expect(history.stderr).toMatch(/cannot write ro\/history\/h\.jsonl: read-only file system \(EROFS\)/);
    plainly(history.stderr);

    const report = await edgebench(['report', 'reports/source', '-o', 'ro/page']);
    expect(report.exitCode).toBe(2);
    expect(report.stderr).toMatch(/cannot write ro\/page\/charts: read-only file system \(EROFS\)/);
    plainly(report.stderr);
  }, 180_000);

  it('names a run folder removed while the run writes to it', async () => {
    const child = execa(process.execPath, [BIN, 'run', '--suite', 'suites/two.yaml', '--run-id', 'removed', '--no-report'], {
      cwd: project.dir,
      reject: false,
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('[2/6]')) execFileSync('rm', ['-rf', project.path('reports/removed')]);
    });
    const removed = await child;
    expect(removed.exitCode).toBe(2);
    expect(removed.stderr).toMatch(/cannot write to reports\/removed: the folder was removed \(ENOENT\)\. The run stopped/);
    plainly(removed.stderr);
  }, 180_000);
});
