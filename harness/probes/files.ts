import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DeviceFiles } from './probe.ts';

/** Errors that mean "no value here": missing, or a sysfs attribute with nothing to report now (a disabled thermal zone). */
const NO_VALUE = new Set(['ENOENT', 'ENOTDIR', 'ENODATA', 'EINVAL', 'EIO', 'EAGAIN']);

/**
 * This machine's files under `root`: "/" reads the real /sys and /proc; any
 * other directory is read as if it were "/" (a tree copied from another
 * machine, or a test fixture). Reads are synchronous: a sysfs attribute is a
 * few bytes the kernel formats on the spot, so a read costs microseconds, and
 * the time a sample takes is then the probes' own cost, not queueing in the
 * thread pool behind other I/O.
 */
export function hostFiles(root = '/'): DeviceFiles {
  const base = resolve(root);
  const at = (path: string) => join(base, path);
  return {
    where: base === '/' ? 'this machine' : base,
    async read(path) {
      try {
        return readFileSync(at(path), 'utf8').replace(/\n$/, '');
      } catch (error) {
        if (NO_VALUE.has((error as NodeJS.ErrnoException).code ?? '')) return undefined;
        throw error;
      }
    },
    async list(dir) {
      try {
        return readdirSync(at(dir)).sort();
      } catch (error) {
        if (NO_VALUE.has((error as NodeJS.ErrnoException).code ?? '')) return [];
        throw error;
      }
    },
  };
}
