import { readdirSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { hostFiles } from '../../harness/probes/files.ts';
import type { ProbeContext } from '../../harness/probes/probe.ts';

export const SYSFS_FIXTURES = join(import.meta.dirname, '../fixtures/sysfs');

export interface SysfsTree {
  root: string;
  /** Rewrites a file of the tree atomically (as sysfs reads are), e.g. write('/sys/class/thermal/thermal_zone2/temp', '80000'). */
  write(path: string, text: string): Promise<void>;
  /**
   * Rewrites `path` every `everyMs` with what a package's energy counter (µJ)
   * drawing `watts` would show, from `startUj` and modulo `rangeUj`, until stop(). One
   * write at a time, as the hardware counts: writes overlapping on a loaded
   * machine could land out of order.
   */
  energyCounter(path: string, options: { watts: number; startUj: number; rangeUj?: number; everyMs?: number }): { stop(): Promise<void> };
  cleanup(): Promise<void>;
}

/** A writable copy of a sysfs fixture tree (test/fixtures/sysfs/<machine>), for tests that change readings. */
export async function sysfsCopy(machine: string): Promise<SysfsTree> {
  const root = await mkdtemp(join(tmpdir(), `edgebench-sysfs-${machine}-`));
  await cp(join(SYSFS_FIXTURES, machine), root, { recursive: true });
  let writes = 0;
  const write = async (path: string, text: string) => {
    await mkdir(dirname(join(root, path)), { recursive: true });
    const temp = `${join(root, path)}.${process.pid}.${(writes++).toString(36)}.tmp`;
    await writeFile(temp, `${text}\n`);
    await rename(temp, join(root, path));
  };
  return {
    root,
    write,
    energyCounter(path, { watts, startUj, rangeUj = Number.POSITIVE_INFINITY, everyMs = 5 }) {
      const origin = performance.now();
      let writing: Promise<void> = Promise.resolve();
      // Each write waits for the one before; stop() awaits the chain, so a failed write surfaces there.
      const timer = setInterval(() => {
        // W = J/s = 1000 µJ/ms.
        writing = writing.then(() => write(path, String(Math.round(startUj + watts * 1000 * (performance.now() - origin)) % rangeUj)));
      }, everyMs);
      return {
        async stop() {
          clearInterval(timer);
          await writing;
        },
      };
    },
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

/** Whether this machine has an entry matching `pattern` in a directory (e.g. a RAPL zone in /sys/class/powercap): tests that expect "unavailable" run only where it is. */
export function hostHas(dir: string, pattern: RegExp): boolean {
  try {
    return readdirSync(dir).some((name) => pattern.test(name));
  } catch {
    return false;
  }
}

/** What a probe is handed in a test: the files under `root` (a fixture copy, or "/"), and a clock at 0. */
export function probeContext(root: string, deviceId = 'd'): ProbeContext {
  return { deviceId, files: hostFiles(root), now: () => 0 };
}
