import { existsSync, readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CGROUP_PARENT } from '../../harness/devices/cgroups/cell-cgroup.ts';
import { detectCgroups } from '../../harness/devices/cgroups/detect.ts';
import { emulatedDriver } from '../../harness/devices/emulated.ts';
import type { RunnerJob } from '../../harness/core/runner-protocol.ts';

// The machine the tests run on (and CI) has cgroup v1 writable as root: the real kernel refuses these values.
const support = detectCgroups();
const ID = 'refused-setting';

const job: RunnerJob = {
  modelPath: '/nonexistent.onnx',
  task: { kind: 'forward' },
  warmup: 0,
  iterations: 1,
  runtime: { intraOpThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential' },
  examples: [],
};
const spec = (overrides: Record<string, unknown>) => ({ id: ID, kind: 'emulated' as const, cpus: [0], fallback: 'none' as const, ...overrides });

// A refused setting leaves the half-made cell cgroup behind (the next run's stale sweep would remove it); remove it here.
afterAll(() => {
  const roots = support.version === 1 ? Object.values(support.controllers) : support.version === 2 ? [support.root] : [];
  for (const root of roots) {
    const parent = join(root, CGROUP_PARENT);
    if (!existsSync(parent)) continue;
    for (const entry of readdirSync(parent, { withFileTypes: true }))
      if (entry.isDirectory() && entry.name.startsWith(`${ID}-${process.pid}-`)) rmdirSync(join(parent, entry.name));
  }
});

describe('emulated device: a limit the kernel refuses names the field behind it', () => {
  it('a CPU quota below what the kernel takes points at cpuQuota, not at the cores', async () => {
    expect(support.version, 'this machine must have writable cgroups').not.toBe('none');
    // The schema refuses this since it is below 0.1; the driver must still word the kernel's refusal right.
    const outcome = await emulatedDriver.runCell(spec({ cpuQuota: 1e-300 }), job, { timeoutMs: 30_000 });
    expect(outcome.deviceFailure?.code).toBe('DEVICE_UNAVAILABLE');
    expect(outcome.deviceFailure?.message).toMatch(
      /the kernel refused cpu(\.cfs_quota_us|\.max) "0.*" \(EINVAL\)\); check cpuQuota \(1e-300\) in devices\.yaml/,
    );
    expect(outcome.deviceFailure?.message).not.toMatch(/check that cores/);
  }, 30_000);

  it('a core the machine lacks still points at the cores', async () => {
    const outcome = await emulatedDriver.runCell(spec({ cpus: [4095] }), job, { timeoutMs: 30_000 });
    expect(outcome.deviceFailure?.message).toMatch(/the kernel refused cpuset\.cpus "4095" \(E[A-Z]+\)\); check that cores 4095 exist on this machine/);
  }, 30_000);
});
