import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { CgroupSupport } from './detect.ts';

/** The constraints of an emulated profile, as the kernel is told them. */
export interface CgroupLimits {
  /** Cores the runner may use (cpuset.cpus). */
  cpus: number[];
  /** Share of one core per scheduling period, e.g. 0.5 (cpu.cfs_quota_us / cpu.max). */
  cpuQuota?: number;
  memoryBytes?: number;
}

/**
 * CFS period: 10 ms, a tenth of the kernel's default, so a quota throttles in
 * short slices and a multi-millisecond inference sees a proportionally slower
 * CPU rather than full speed followed by a long stall.
 */
const PERIOD_US = 10_000;
/** Every cgroup edgebench makes lives under this name, so leftovers are easy to find and remove. */
export const CGROUP_PARENT = 'edgebench';

/**
 * Starts a command inside cgroups: the shell writes its own pid to each
 * cgroup.procs file given, then execs the command, so the runner's every
 * allocation, from Node.js start-up on, counts against the cap. The script is
 * a constant; the files and the command are positional arguments, never
 * pasted into it.
 */
export function insideCgroup(procsFiles: string[], file: string, args: string[]): { file: string; args: string[] } {
  const script = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"';
  return { file: '/bin/sh', args: ['-c', script, 'edgebench-cgroup', ...procsFiles, '--', file, ...args] };
}

/** One cell's cgroup: created before the runner starts, removed after it ends. */
export interface CellCgroup {
  /** What was applied, in words, for results. */
  description: string;
  /** The cgroup.procs file(s) a process writes its pid to, to enter (one per controller on v1). */
  procsFiles: string[];
  /** Peak memory charged to the cgroup since the runner moved in. */
  peakBytes(): { bytes: number; method: string } | undefined;
  /** How many times the kernel's OOM killer fired inside it. */
  oomKills(): number;
  remove(): Promise<void>;
}

export async function createCellCgroup(support: Exclude<CgroupSupport, { version: 'none' }>, name: string, limits: CgroupLimits): Promise<CellCgroup> {
  return support.version === 1 ? createV1(support, name, limits) : createV2(support, name, limits);
}

async function createV1(support: Extract<CgroupSupport, { version: 1 }>, name: string, limits: CgroupLimits): Promise<CellCgroup> {
  const dir = (controller: 'cpu' | 'cpuset' | 'memory') => join(support.controllers[controller], CGROUP_PARENT, name);
  for (const controller of ['cpu', 'cpuset', 'memory'] as const) await mkdir(dir(controller), { recursive: true });
  // A new cpuset is empty; it inherits nothing, so the parent needs its cpus and mems copied in first.
  const parentCpuset = join(support.controllers.cpuset, CGROUP_PARENT);
  for (const file of ['cpuset.cpus', 'cpuset.mems']) {
    if ((await readFile(join(parentCpuset, file), 'utf8')).trim() === '')
      await writeSetting(join(parentCpuset, file), await readFile(join(support.controllers.cpuset, file), 'utf8'));
  }
  await writeSetting(join(dir('cpuset'), 'cpuset.cpus'), limits.cpus.join(','));
  await writeSetting(join(dir('cpuset'), 'cpuset.mems'), await readFile(join(parentCpuset, 'cpuset.mems'), 'utf8'));
  if (limits.cpuQuota !== undefined) {
    await writeSetting(join(dir('cpu'), 'cpu.cfs_period_us'), String(PERIOD_US));
    await writeSetting(join(dir('cpu'), 'cpu.cfs_quota_us'), String(Math.round(limits.cpuQuota * PERIOD_US)));
  }
  if (limits.memoryBytes !== undefined) {
    await writeSetting(join(dir('memory'), 'memory.limit_in_bytes'), String(limits.memoryBytes));
    // Swap would let a variant "fit" by paging, which a phone cannot do: cap memory + swap too where the kernel allows.
    const memsw = join(dir('memory'), 'memory.memsw.limit_in_bytes');
    if (existsSync(memsw)) await writeFile(memsw, String(limits.memoryBytes)).catch(() => undefined);
  }
  return {
    description: describe(
      'cgroup v1',
      limits,
      `cpu.cfs_quota_us ${limits.cpuQuota !== undefined ? Math.round(limits.cpuQuota * PERIOD_US) : -1} / cpu.cfs_period_us ${PERIOD_US}`,
    ),
    procsFiles: (['cpuset', 'cpu', 'memory'] as const).map((controller) => join(dir(controller), 'cgroup.procs')),
    peakBytes: () => readNumber(join(dir('memory'), 'memory.max_usage_in_bytes'), "memory.max_usage_in_bytes of the cell's cgroup (v1)"),
    oomKills: () => oomKillsFrom(join(dir('memory'), 'memory.oom_control')),
    remove: () => removeAll(['cpu', 'cpuset', 'memory'].map((c) => dir(c as 'cpu' | 'cpuset' | 'memory'))),
  };
}

async function createV2(support: Extract<CgroupSupport, { version: 2 }>, name: string, limits: CgroupLimits): Promise<CellCgroup> {
  const parent = join(support.root, CGROUP_PARENT);
  const dir = join(parent, name);
  await mkdir(dir, { recursive: true });
  // Controllers must be enabled in every ancestor's subtree_control before a child can use them.
  for (const ancestor of [support.root, parent]) await writeSetting(join(ancestor, 'cgroup.subtree_control'), '+cpu +cpuset +memory');
  await writeSetting(join(dir, 'cpuset.cpus'), limits.cpus.join(','));
  const quota = limits.cpuQuota !== undefined ? String(Math.round(limits.cpuQuota * PERIOD_US)) : 'max';
  await writeSetting(join(dir, 'cpu.max'), `${quota} ${PERIOD_US}`);
  if (limits.memoryBytes !== undefined) {
    await writeSetting(join(dir, 'memory.max'), String(limits.memoryBytes));
    if (existsSync(join(dir, 'memory.swap.max'))) await writeSetting(join(dir, 'memory.swap.max'), '0');
  }
  return {
    description: describe('cgroup v2', limits, `cpu.max "${quota} ${PERIOD_US}"`),
    procsFiles: [join(dir, 'cgroup.procs')],
    peakBytes: () => readNumber(join(dir, 'memory.peak'), "memory.peak of the cell's cgroup (v2)"),
    oomKills: () => oomKillsFrom(join(dir, 'memory.events')),
    remove: () => removeAll([dir]),
  };
}

/** A value the kernel refused, named by its cgroup file, so the devices.yaml field behind it can be named. */
export class CgroupSettingError extends Error {
  constructor(
    readonly setting: string,
    readonly value: string,
    cause: unknown,
  ) {
    super(`the kernel refused ${setting} "${value.trim()}" (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message})`);
    this.name = 'CgroupSettingError';
  }
}

async function writeSetting(file: string, value: string): Promise<void> {
  try {
    await writeFile(file, value);
  } catch (error) {
    throw new CgroupSettingError(basename(file), value, error);
  }
}

function describe(mechanism: string, limits: CgroupLimits, cpuDetail: string): string {
  return `${mechanism}: ${describeLimits(limits, cpuDetail)}`;
}

/** Limits in words, e.g. "cores 0, 50% of one core, memory cap 1024 MiB"; `cpuDetail` names the kernel setting behind the quota. */
export function describeLimits(limits: CgroupLimits, cpuDetail?: string): string {
  const quota = limits.cpuQuota !== undefined ? `${Math.round(limits.cpuQuota * 100)}% of one core${cpuDetail ? ` (${cpuDetail})` : ''}` : 'no CPU quota';
  const memory = limits.memoryBytes !== undefined ? `memory cap ${(limits.memoryBytes / 1024 / 1024).toFixed(0)} MiB` : 'no memory cap';
  return `cores ${limits.cpus.join(',')}, ${quota}, ${memory}`;
}

function readNumber(file: string, method: string): { bytes: number; method: string } | undefined {
  try {
    const value = Number(readFileSync(file, 'utf8').trim());
    return Number.isFinite(value) ? { bytes: value, method } : undefined;
  } catch {
    return undefined;
  }
}

/** "oom_kill N" from memory.oom_control (v1) or memory.events (v2). */
function oomKillsFrom(file: string): number {
  try {
    const match = readFileSync(file, 'utf8').match(/^oom_kill (\d+)$/m);
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** rmdir, retried briefly: the kernel frees a cgroup a moment after its last process exits. */
async function removeAll(dirs: string[]): Promise<void> {
  for (const dir of dirs) {
    for (let attempt = 0; ; attempt++) {
      try {
        if (existsSync(dir)) await rmdir(dir);
        break;
      } catch (error) {
        if (attempt >= 20) throw new Error(`could not remove cgroup ${dir}: ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }
}

/** Removes cgroups left behind by a run that was killed outright (SIGKILL leaves no time to clean up). */
export async function removeStaleCgroups(support: Exclude<CgroupSupport, { version: 'none' }>): Promise<string[]> {
  const parents = support.version === 1 ? Object.values(support.controllers).map((c) => join(c, CGROUP_PARENT)) : [join(support.root, CGROUP_PARENT)];
  const removed: string[] = [];
  for (const parent of parents) {
    if (!existsSync(parent)) continue;
    for (const entry of await readdir(parent, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const dir = join(parent, entry.name);
      const procs = (await readFile(join(dir, 'cgroup.procs'), 'utf8').catch(() => '')).trim();
      if (procs === '') {
        await rmdir(dir).catch(() => undefined);
        removed.push(dir);
      }
    }
  }
  return removed;
}
