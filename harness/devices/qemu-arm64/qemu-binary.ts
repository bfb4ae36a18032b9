import { spawnSync } from 'node:child_process';
import { constants } from 'node:fs';
import { canAccess } from '../file-access.ts';
import { delimiter, join, resolve } from 'node:path';

export interface QemuBinary {
  path: string;
  /** First line of `--version`, e.g. "qemu-aarch64 version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)". */
  version: string;
  /** The CPU models `-cpu` accepts, from `-cpu help`. */
  cpuModels: string[];
}

export type QemuLookup = ({ ok: true } & QemuBinary) | { ok: false; problem: string };

const found = new Map<string, QemuLookup & { ok: true }>();

/**
 * Finds qemu-aarch64: `command` is a path (it contains a "/") or a name looked
 * up on PATH, as a shell would. A qemu found is remembered for the process; one
 * missing is looked for again next time, so installing it mid-run is noticed.
 */
export function findQemu(command: string): QemuLookup {
  const known = found.get(command);
  if (known) return known;
  const lookup = probe(command);
  if (lookup.ok) found.set(command, lookup);
  return lookup;
}

// Both questions run the x86-64 qemu binary only, no guest: milliseconds.
function probe(command: string): QemuLookup {
  const path = command.includes('/')
    ? resolve(command)
    : (process.env.PATH ?? '')
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(dir, command))
        .find((file) => canAccess(file, constants.X_OK));
  if (!path) return { ok: false, problem: `${command} was not found on PATH` };
  if (!canAccess(path, constants.X_OK)) return { ok: false, problem: `${path} does not exist or is not executable` };
  const version = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  if (version.status !== 0)
    return {
      ok: false,
      problem: `${path} --version failed (${version.error?.message ?? version.stderr.trim().split('\n')[0] ?? `exit code ${version.status}`})`,
    };
  // qemu-user lists the models and then exits with status 1: the list is read whatever the status.
  const cpuModels = spawnSync(path, ['-cpu', 'help'], { encoding: 'utf8', timeout: 10_000 })
    .stdout.split('\n')
    .filter((line) => /^\s+\S/.test(line))
    .map((line) => line.trim().split(/\s+/)[0]!);
  return { ok: true, path, version: version.stdout.split('\n')[0]!.trim(), cpuModels };
}
