import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CGROUP_PARENT, createCellCgroup } from '../../harness/devices/cgroups/cell-cgroup.ts';
import { detectCgroups } from '../../harness/devices/cgroups/detect.ts';
import { emulatedDriver } from '../../harness/devices/emulated.ts';
import { localDriver } from '../../harness/devices/local.ts';
import type { RunnerJob } from '../../harness/core/runner-protocol.ts';
import { cellResult } from '../../harness/results/cell-result.ts';
import { tempProject, type TempProject } from '../helpers/project.ts';
import { randomMatrix, writeSingleMatMul } from '../helpers/models.ts';

// The machine the tests run on (and CI) has cgroup v1 writable as root: the real kernel enforces these limits.
const support = detectCgroups();
const variant = (file: string) => ({
  name: 'v',
  precision: 'fp32' as const,
  file,
  files: [{ path: 'model.onnx', bytes: 1, sha256: 'x' }],
  diskBytes: 1,
  sha256: 'x',
});

let project: TempProject;
let small: string;
let big: string;
beforeAll(async () => {
  project = await tempProject();
  small = project.path('small.onnx');
  big = project.path('big.onnx');
  // 1024 x 1024: about 1 ms of single-core work per inference at batch 32. 3000 x 3000: 36 MB of weights.
  await writeSingleMatMul(small, randomMatrix(1024, 1024, 1, 0.03), 1024, 1024);
  await writeSingleMatMul(big, randomMatrix(3000, 3000, 2, 0.02), 3000, 3000);
});
afterAll(() => project.cleanup());

const jobFor = (modelPath: string, size: number, iterations = 40): RunnerJob => ({
  modelPath,
  task: { kind: 'forward' },
  warmup: 3,
  iterations,
  runtime: { intraOpThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential' },
  examples: [{ id: 'x', feeds: { x: { type: 'float32', dims: [32, size], data: Array.from(randomMatrix(32, size, 3)) } } }],
});
const lowEnd = (overrides: Record<string, unknown> = {}) => ({
  id: 'low-end',
  kind: 'emulated' as const,
  cpus: [0],
  cpuQuota: 0.25,
  memoryMiB: 512,
  fallback: 'none' as const,
  ...overrides,
});
const cellOf = (outcome: Awaited<ReturnType<typeof emulatedDriver.runCell>>, file: string) =>
  cellResult({ deviceId: 'low-end', variant: variant(file), runs: [{ startedAt: new Date(), finishedAt: new Date(), outcome }], timeoutMs: 60_000 });
/** Cell cgroups this test process made that are still present. */
const cellDirs = () =>
  (support.version === 1 ? Object.values(support.controllers) : support.version === 2 ? [support.root] : []).flatMap((root) => {
    const parent = join(root, CGROUP_PARENT);
    return existsSync(parent)
      ? readdirSync(parent, { withFileTypes: true })
          .filter((e) => e.isDirectory() && e.name.startsWith(`low-end-${process.pid}-`))
          .map((e) => e.name)
      : [];
  });

describe('emulated device (real cgroups)', () => {
  it("runs the runner inside the cell's cgroup, measures its peak from the cgroup and removes the cgroup", async () => {
    expect(support.version, 'this machine must have writable cgroups').not.toBe('none');
    const outcome = await emulatedDriver.runCell(lowEnd(), jobFor(small, 1024), { timeoutMs: 60_000 });
    const cell = cellOf(outcome, small);
    expect(cell.status).toBe('ok');
    expect(cell.constraints).toMatch(new RegExp(`^cgroup v${support.version}: cores 0, 25% of one core .*memory cap 512 MiB`));
    expect(cell.metrics.devicePeakBytes).toMatchObject({ source: 'measured', method: expect.stringMatching(/cell's cgroup/) });
    // The 4 MB of weights and the runtime are charged to the cgroup.
    expect((cell.metrics.devicePeakBytes as { value: number }).value).toBeGreaterThan(4 * 1024 * 1024);
    expect(cellDirs()).toEqual([]);
  }, 60_000);

  it('gives a quarter of a core a quarter of the throughput', async () => {
    const job = jobFor(small, 1024, 60);
    const summary = (cell: ReturnType<typeof cellOf>) => (cell.metrics.latencyMs.source === 'measured' ? cell.metrics.latencyMs.summary : undefined);
    const free = cellOf(await localDriver.runCell({ id: 'host', kind: 'local' }, job, { timeoutMs: 60_000 }), small);
    const quarter = cellOf(await emulatedDriver.runCell(lowEnd(), job, { timeoutMs: 60_000 }), small);
    // CPU time is capped at 25%: the mean latency, stalls included, is about 4x the inference's own cost
    // (the unconstrained minimum, which other load on the machine cannot lower); 2.5x leaves room for noise.
    expect(summary(quarter)!.mean / summary(free)!.min).toBeGreaterThan(2.5);
  }, 60_000);

  it('records a variant that does not fit as OOM at the cap, not a crash', async () => {
    const outcome = await emulatedDriver.runCell(lowEnd({ memoryMiB: 32, cpuQuota: undefined }), jobFor(big, 3000, 5), { timeoutMs: 60_000 });
    const cell = cellOf(outcome, big);
    expect(cell.status).toBe('failed');
    expect(cell.error).toMatchObject({ code: 'OOM', message: expect.stringMatching(/^OOM at 32 MiB: the kernel's OOM killer ended the runner/) });
    expect(cellDirs()).toEqual([]);
  }, 60_000);

  it('removes the cgroup when the run is interrupted', async () => {
    const controller = new AbortController();
    const running = emulatedDriver.runCell(lowEnd(), jobFor(small, 1024, 100_000), {
      timeoutMs: 60_000,
      signal: controller.signal,
      onEvent: (event) => event.type === 'samples' && controller.abort(),
    });
    const outcome = await running;
    expect(outcome.canceled).toBe(true);
    expect(cellDirs()).toEqual([]);
  }, 60_000);
});

describe('emulated device without writable cgroups', () => {
  it('is unavailable with the reason and the fix, or pins cores only with the taskset fallback, and says so', async () => {
    const empty = project.path('no-cgroups');
    await mkdir(empty, { recursive: true });
    process.env.EDGEBENCH_CGROUP_ROOT = empty;
    try {
      const refused = cellOf(await emulatedDriver.runCell(lowEnd(), jobFor(small, 1024, 5), { timeoutMs: 60_000 }), small);
      expect(refused.error).toMatchObject({
        code: 'DEVICE_UNAVAILABLE',
        message: expect.stringMatching(/no cgroup v1 mount for cpu, cpuset, memory .* set fallback: taskset/),
      });
      const pinned = cellOf(await emulatedDriver.runCell(lowEnd({ fallback: 'taskset' }), jobFor(small, 1024, 5), { timeoutMs: 60_000 }), small);
      expect(pinned.status).toBe('ok');
      expect(pinned.constraints).toMatch(/^taskset fallback .*cores 0 pinned; CPU quota and memory cap not applied/);
    } finally {
      delete process.env.EDGEBENCH_CGROUP_ROOT;
    }
  }, 60_000);
});

describe('cgroup v2 (against a copy of its file layout: this machine mounts its controllers on v1)', () => {
  it('is detected from cgroup.controllers and gets cpuset.cpus, cpu.max and memory.max', async () => {
    const root = project.path('v2');
    await mkdir(root, { recursive: true });
    await writeFile(join(root, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
    await writeFile(join(root, 'cgroup.subtree_control'), '');
    const v2 = detectCgroups(root);
    expect(v2).toEqual({ version: 2, root });
    const cgroup = await createCellCgroup(v2 as Extract<typeof v2, { version: 2 }>, 'cell-1', { cpus: [0, 1], cpuQuota: 0.5, memoryBytes: 256 * 1024 * 1024 });
    const dir = join(root, CGROUP_PARENT, 'cell-1');
    expect(await readFile(join(dir, 'cpuset.cpus'), 'utf8')).toBe('0,1');
    expect(await readFile(join(dir, 'cpu.max'), 'utf8')).toBe('5000 10000');
    expect(await readFile(join(dir, 'memory.max'), 'utf8')).toBe(String(256 * 1024 * 1024));
    expect(await readFile(join(root, 'cgroup.subtree_control'), 'utf8')).toBe('+cpu +cpuset +memory');
    expect(cgroup.procsFiles).toEqual([join(dir, 'cgroup.procs')]);
    expect(cgroup.description).toBe('cgroup v2: cores 0,1, 50% of one core (cpu.max "5000 10000"), memory cap 256 MiB');
    await writeFile(join(dir, 'memory.events'), 'low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n');
    await writeFile(join(dir, 'memory.peak'), '123456\n');
    expect(cgroup.oomKills()).toBe(1);
    expect(cgroup.peakBytes()).toEqual({ bytes: 123456, method: "memory.peak of the cell's cgroup (v2)" });
  });
});
