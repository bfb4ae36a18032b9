import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { atomicWrite, makeFolder } from '../../harness/files/atomic-write.ts';
import { OutputWriteError } from '../../harness/files/write-error.ts';
import { cellResult } from '../../harness/results/cell-result.ts';
import { readJournal } from '../../harness/results/journal.ts';
import { mergeResults } from '../../harness/results/merge.ts';
import { LOCK_FILE, lockRunFolder, RunLockedError } from '../../harness/results/run-lock.ts';
import { CellResult, type Results } from '../../harness/core/results.ts';
import type { RunnerEvent } from '../../harness/core/runner-protocol.ts';
import { spawnRunner, type RunnerOutcome } from '../../harness/runner/spawn.ts';
import { summarize } from '../../harness/stats/summary.ts';
import { tempProject, type TempProject } from '../helpers/project.ts';
import { cell, latencies, results } from '../helpers/results.ts';

let project: TempProject;
const mounts: string[] = [];
beforeAll(async () => {
  project = await tempProject();
});
afterAll(async () => {
  for (const mount of mounts) execFileSync('umount', [mount]);
  await project.cleanup();
});

const outcomeOf = (events: RunnerEvent[], rest: Partial<RunnerOutcome> = {}): RunnerOutcome => ({
  events,
  exitCode: 0,
  signal: undefined,
  timedOut: false,
  canceled: false,
  stderrTail: '',
  strayLines: [],
  ...rest,
});
const variant = cell({ variant: 'fp32', samples: [1] }).variant;
const at = new Date(0);

describe('extreme numbers a journal may hold', () => {
  it('summarises samples near the largest double without overflowing', () => {
    const summary = summarize([1e308, 1e308, 1e308, 5]);
    expect(Object.values(summary).every(Number.isFinite)).toBe(true);
    expect(summary.mean).toBeCloseTo(7.5e307, -300);
    expect(summary.max).toBe(1e308);
    // Ordinary samples keep their exact figures.
    expect(summarize([1, 2, 3])).toMatchObject({ mean: 2, stddev: 1 });
  });

  it('builds a cell that its schema accepts from 1e308 ms latencies, loads and memory, and decode steps of 0 ms', () => {
    const events: RunnerEvent[] = [
      { type: 'loaded', loadMs: 1e308, rssBeforeLoad: { bytes: 1e308, method: 'test' } },
      {
        type: 'samples',
        phase: 'timed',
        firstIteration: 0,
        exampleIds: ['a', 'b', 'c'],
        latenciesMs: [1e308, 1e308, 1e308],
        ttftMs: [1e308, 1e308, 1e308],
        decodeMs: [[0], [0], [0]],
      },
      { type: 'memory', peakRss: { bytes: Number.MAX_VALUE, method: 'test' } },
      { type: 'done' },
    ];
    const built = cellResult({ deviceId: 'host', variant, runs: [{ startedAt: at, finishedAt: at, outcome: outcomeOf(events) }], timeoutMs: 1000 });
    expect(() => CellResult.parse(built)).not.toThrow();
    expect(built.status).toBe('ok');
    expect(built.metrics.latencyMs).toMatchObject({ source: 'measured', summary: { n: 3, p50: 1e308 } });
    // Tokens per second over steps that took no time has no finite value: it is unavailable, with why.
    expect(built.metrics.decodeTokensPerSecond).toMatchObject({ source: 'unavailable', reason: expect.stringMatching(/out of range/) });
  });

  it('refuses a journal line holding a number beyond the largest double, naming the line', async () => {
    const file = project.path('overflow/journal.jsonl');
    mkdirSync(project.path('overflow'));
    const header = {
      type: 'run',
      runId: 'r',
      startedAt: at.toISOString(),
      fingerprint: { suiteFile: 's', devicesFile: 'd', suiteSha256: 'x', devicesSha256: 'x', datasetSha256: 'x', variants: {}, repeats: 1 },
    };
    const start = { type: 'start', device: 'host', variant: 'fp32', repeat: 1, attempt: 0, startedAt: at.toISOString() };
    writeFileSync(
      file,
      `${JSON.stringify(header)}\n${JSON.stringify(start)}\n{"type":"event","attempt":0,"event":{"type":"loaded","loadMs":1e999}}\n{"type":"event","attempt":0,"event":{"type":"done"}}\n`,
    );
    await expect(readJournal(file)).rejects.toThrow(/journal\.jsonl, line 3: not a journal entry/);
  });
});

describe('a runner that runs out of memory', () => {
  it("records OOM with the runtime's own words from its stderr, not only the signal", async () => {
    // A real Node.js process with a 16 MB heap that keeps allocating: V8 aborts it.
    const outcome = await spawnRunner(
      { file: process.execPath, args: ['--max-old-space-size=16', '-e', 'const kept = []; for (;;) kept.push(new Array(1e5).fill(Math.random()));'] },
      { modelPath: 'none', task: { kind: 'classify' }, warmup: 0, iterations: 1, runtime: {}, examples: [{ id: 'a', feeds: {} }] } as never,
      { timeoutMs: 60_000 },
    );
    expect(outcome.signal ?? outcome.exitCode).toBeTruthy();
    const built = cellResult({ deviceId: 'host', variant, runs: [{ startedAt: at, finishedAt: at, outcome }], timeoutMs: 60_000 });
    expect(built.error).toMatchObject({ code: 'OOM', message: expect.stringMatching(/ran out of memory .*JavaScript heap out of memory/) });
  }, 90_000);
});

describe('output folders that cannot be written (real tmpfs mounts, as root)', () => {
  const mount = (name: string, options: string) => {
    const dir = project.path(name);
    mkdirSync(dir);
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, `edgebench-${name}`, dir]);
    mounts.push(dir);
    return dir;
  };

  it('reports a full disk as such and leaves no temp file', async () => {
    const full = mount('tiny', 'size=64k');
    const error = await atomicWrite(join(full, 'results.json'), 'x'.repeat(512 * 1024)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutputWriteError);
    expect((error as OutputWriteError).code).toBe('ENOSPC');
    expect((error as Error).message).toMatch(/cannot write .*tiny\/results\.json: the disk is full \(ENOSPC\); free space/);
    expect(readdirSync(full)).toEqual([]);
  });

  it('reports a read-only folder as read-only, also where a new subfolder was to be made (not ENOENT)', async () => {
    const readOnly = mount('readonly', 'size=64k,ro');
    await expect(makeFolder(join(readOnly, 'reports', 'run-1'))).rejects.toThrow(/read-only file system \(EROFS\); write to a writable folder/);
    await expect(atomicWrite(join(readOnly, 'index.html'), 'x')).rejects.toThrow(/readonly\/index\.html: read-only file system \(EROFS\)/);
  });
});

describe('the run folder lock', () => {
  it('refuses a second holder, naming the folder, the holder and the fix; released, it can be taken again', () => {
    const dir = project.path('locked');
    mkdirSync(dir);
    const lock = lockRunFolder(dir, 'run --resume locked');
    let refused: unknown;
    try {
      lockRunFolder(dir, 'merge');
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(RunLockedError);
    expect((refused as Error).message).toMatch(
      new RegExp(
        `run folder .*locked is in use by edgebench process ${process.pid} on ${hostname()} \\(run --resume locked, started 20\\d\\d-.*Z\\).*delete .*edgebench\\.lock`,
      ),
    );
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    lockRunFolder(dir, 'again').release();
  });

  it('takes over the lock of a process that is gone, and says whose it was; a lock from another host is kept', async () => {
    const dir = project.path('stale');
    mkdirSync(dir);
    const child = execa(process.execPath, ['-e', '']);
    const gone = child.pid!;
    await child;
    const stale = { pid: gone, hostname: hostname(), command: 'run --resume stale', startedAt: '2026-01-01T00:00:00.000Z' };
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify(stale));
    const lock = lockRunFolder(dir, 'run --resume stale');
    expect(lock.tookOverFrom).toEqual(stale);
    lock.release();
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ ...stale, hostname: `not-${hostname()}` }));
    expect(() => lockRunFolder(dir, 'merge')).toThrow(/in use by edgebench process \d+ on not-/);
  });
});

describe('merge of shards that overlap', () => {
  const shardsOf = (): Results[] => {
    const whole = results(
      ['d1', 'd2'].map((deviceId, d) => ({ deviceId, variant: 'fp32', samples: latencies(30, 1 + d, d), repeats: 1 })),
      { runId: 'whole' },
    );
    const devices = ['d1', 'd2'].map((id) => ({ ...whole.devices[0]!, id }));
    return ['d1', 'd2'].map((id, k) => ({
      ...whole,
      runId: `shard-${k + 1}`,
      shard: { index: k + 1, total: 2, devices: ['d1', 'd2'] },
      devices: devices.filter((d) => d.id === id),
      cells: whole.cells.filter((c) => c.deviceId === id),
    }));
  };

  it("refuses a shard holding a cell of another shard's device, a device in two shards, and a cell twice", () => {
    const [one, two] = shardsOf() as [Results, Results];
    expect(mergeResults([one, two], 'm').cells).toHaveLength(2);
    expect(() => mergeResults([{ ...one, cells: [...one.cells, two.cells[0]!] }, two], 'm')).toThrow(
      /run shard-1 holds cell d2 x fp32, but device d2 is not one of its devices \(d1\)/,
    );
    expect(() => mergeResults([{ ...one, devices: [...one.devices, two.devices[0]!], cells: [...one.cells, two.cells[0]!] }, two], 'm')).toThrow(
      /device d2 is in run shard-1 and in run shard-2/,
    );
    expect(() => mergeResults([{ ...one, cells: [one.cells[0]!, one.cells[0]!] }, two], 'm')).toThrow(/cell d1 x fp32 is twice in run shard-1/);
  });
});
