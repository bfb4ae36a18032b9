import type { z } from 'zod';
import { MAX_CPU_QUOTA, MIN_CPU_QUOTA, type EmulatedDeviceSpec } from '../core/device-spec.ts';
import { runnerBundle } from '../runner/bundle.ts';
import { spawnRunner, unavailableOutcome, type RunnerCommand, type RunnerOutcome } from '../runner/spawn.ts';
import type { RunnerJob } from '../core/runner-protocol.ts';
import { withInstructionCount } from '../instructions/count-instructions.ts';
import { CgroupSettingError, createCellCgroup, describeLimits, insideCgroup, removeStaleCgroups, type CgroupLimits } from './cgroups/cell-cgroup.ts';
import { detectCgroups } from './cgroups/detect.ts';
import type { CellContext, DeviceDriver } from './driver.ts';
import { emulatedPlacement } from './emulated/placement.ts';
import { hostFacts } from './local.ts';

type Spec = z.infer<typeof EmulatedDeviceSpec>;

const limitsOf = (spec: Spec): CgroupLimits => ({
  cpus: spec.cpus,
  ...(spec.cpuQuota !== undefined ? { cpuQuota: spec.cpuQuota } : {}),
  ...(spec.memoryMiB !== undefined ? { memoryBytes: spec.memoryMiB * 1024 * 1024 } : {}),
});

let cells = 0;
let staleRemoved = false;

/**
 * A weaker device emulated on this machine: the same runner as the local
 * driver, started inside a cgroup of its own (pinned cores, CPU quota, memory
 * cap), so Node.js, onnxruntime and the model all run within the limits.
 * The cgroup is removed when the cell ends, however it ends.
 */
export const emulatedDriver: DeviceDriver<Spec> = {
  kind: 'emulated',
  placement: emulatedPlacement,
  takesTurns: true,
  pairsRounds: true,
  latency: 'measured',

  async facts(spec) {
    const host = await hostFacts();
    const support = detectCgroups();
    const constraints =
      support.version !== 'none'
        ? `cgroup v${support.version}: ${describeLimits(limitsOf(spec))}`
        : spec.fallback === 'taskset'
          ? tasksetFallback(spec, support.reason)
          : `unavailable: ${support.reason}`;
    return {
      ...host,
      logicalCores: spec.cpus.length,
      physicalCores: Math.min(spec.cpus.length, host.physicalCores),
      memoryBytes: spec.memoryMiB !== undefined ? Math.min(spec.memoryMiB * 1024 * 1024, host.memoryBytes) : host.memoryBytes,
      source: `${host.source}, constrained as below`,
      constraints,
    };
  },

  async unavailable(spec) {
    const support = detectCgroups();
    return support.version === 'none' && spec.fallback !== 'taskset' ? `no writable cgroups: ${support.reason}` : undefined;
  },

  async runCell(spec, job, context) {
    // Instructions are counted after the constrained process, outside the cgroup: a count does not depend on cores, quota or memory cap.
    const command = { file: process.execPath, args: [await runnerBundle()], env: { NODE_OPTIONS: '' } };
    return withInstructionCount(await runConstrained(spec, job, context, command), command, job, context);
  },
};

/** The runner process inside the cell's cgroup (or pinned by taskset, the fallback). */
async function runConstrained(spec: Spec, job: RunnerJob, context: CellContext, command: RunnerCommand): Promise<RunnerOutcome> {
  const support = detectCgroups();
  if (support.version === 'none') {
    if (spec.fallback !== 'taskset')
      return unavailableOutcome(
        `device ${spec.id} cannot be emulated: ${support.reason}. Run as root on Linux, or set fallback: taskset in devices.yaml to pin cores only`,
      );
    const outcome = await spawnRunner({ ...command, file: 'taskset', args: ['--cpu-list', spec.cpus.join(','), command.file, ...command.args] }, job, context);
    return { ...outcome, constraints: tasksetFallback(spec, support.reason) };
  }
  if (!staleRemoved) {
    staleRemoved = true;
    await removeStaleCgroups(support);
  }
  const limits = limitsOf(spec);
  let cgroup;
  try {
    cgroup = await createCellCgroup(support, `${spec.id}-${process.pid}-${++cells}`, limits);
  } catch (error) {
    return unavailableOutcome(`device ${spec.id}: the cgroup could not be set up (${(error as Error).message}); ${setupHint(spec, error)}`);
  }
  try {
    const outcome = await spawnRunner({ ...insideCgroup(cgroup.procsFiles, command.file, command.args), env: command.env }, job, context);
    const peak = cgroup.peakBytes();
    const oomKills = cgroup.oomKills();
    const oom =
      oomKills > 0 && !outcome.events.some((e) => e.type === 'done')
        ? {
            code: 'OOM',
            message: `OOM at ${spec.memoryMiB} MiB: the kernel's OOM killer ended the runner (${oomKills} kill(s) in the cell's cgroup); the variant needs more memory than ${spec.id} has`,
          }
        : undefined;
    return {
      ...outcome,
      constraints: cgroup.description,
      ...(peak ? { devicePeakMemory: peak } : {}),
      ...(oom && !outcome.deviceFailure ? { deviceFailure: oom } : {}),
    };
  } finally {
    await cgroup.remove();
  }
}

/** Which devices.yaml field the refused cgroup setting came from, so the fix points at it rather than at the cores. */
function setupHint(spec: Spec, error: unknown): string {
  const setting = error instanceof CgroupSettingError ? error.setting : undefined;
  if (setting === 'cpuset.cpus') return `check that cores ${spec.cpus.join(',')} exist on this machine (cpus in devices.yaml)`;
  if (setting === 'cpu.max' || setting === 'cpu.cfs_quota_us' || setting === 'cpu.cfs_period_us') {
    return `check cpuQuota (${spec.cpuQuota}) in devices.yaml: the kernel takes a share of one core between ${MIN_CPU_QUOTA} and ${MAX_CPU_QUOTA}`;
  }
  if (setting?.startsWith('memory.')) return `check memoryMiB (${spec.memoryMiB}) in devices.yaml`;
  return 'check that edgebench may create cgroups on this machine (run as root)';
}

/** What the taskset fallback does and does not apply, for results. */
function tasksetFallback(spec: Spec, why: string): string {
  return `taskset fallback (${why}): cores ${spec.cpus.join(',')} pinned; CPU quota and memory cap not applied`;
}
