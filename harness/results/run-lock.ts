import { randomBytes } from 'node:crypto';
import { closeSync, linkSync, openSync, readFileSync, renameSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { OutputWriteError } from '../files/write-error.ts';

/**
 * One edgebench at a time in a run folder. Two processes writing one run
 * (two resumes, a resume and a merge) would measure side by side on shared
 * cores and record the same processes twice. The lock is a file created with
 * O_EXCL in the run folder, saying who holds it; a lock whose process is gone
 * (same host, pid no longer alive) is stale and is taken over.
 */
export const LOCK_FILE = 'edgebench.lock';

const LockHolder = z.object({ pid: z.number().int(), hostname: z.string(), command: z.string(), startedAt: z.string() });
type LockHolder = z.infer<typeof LockHolder>;

/** The run folder is held by another edgebench process. */
export class RunLockedError extends Error {
  constructor(
    readonly runDir: string,
    readonly holder: LockHolder | undefined,
    readonly lockFile: string,
  ) {
    const who = holder ? `edgebench process ${holder.pid} on ${holder.hostname} (${holder.command}, started ${holder.startedAt})` : 'another edgebench process';
    const sameHost = holder?.hostname === hostname();
    super(
      `run folder ${runDir} is in use by ${who}: two processes must not write one run. ` +
        `Wait for it to finish${sameHost ? '' : ' on its host'}, or stop it; if no such process runs any more, delete ${lockFile}`,
    );
    this.name = 'RunLockedError';
  }
}

export interface RunLock {
  file: string;
  /** The stale lock this one replaced (its process had died), if any. */
  tookOverFrom?: LockHolder;
  release(): void;
}

/**
 * Takes the run folder's lock for `command` (e.g. "run --resume reports/x").
 * The folder must exist. Released by `release()`, and in any case when the
 * process exits; one ended by a signal leaves a stale lock for the next
 * command to take over.
 */
export function lockRunFolder(runDir: string, command: string): RunLock {
  const file = join(runDir, LOCK_FILE);
  const me: LockHolder = { pid: process.pid, hostname: hostname(), command, startedAt: new Date().toISOString() };
  let tookOverFrom: LockHolder | undefined;
  // Another process may take the lock or take over the same stale lock between any two steps: each step is atomic and the loop starts again.
  for (let tries = 0; ; tries++) {
    if (create(file, me)) break;
    const text = readText(file);
    if (text === undefined && tries < 5) continue;
    const holder = parseHolder(text ?? '');
    if (!holder || !isStale(holder) || tries >= 5) throw new RunLockedError(runDir, holder, file);
    if (takeOver(file, text!)) tookOverFrom = holder;
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off('exit', release);
    // Only our own lock is removed: after a takeover by mistake the file may be another's.
    if (parseHolder(readText(file) ?? '')?.pid === me.pid) rmSync(file, { force: true });
  };
  // No signal handlers: listening to a signal cancels its default action (and execa's own exit handlers stand aside
  // for other listeners), so a run could outlive a closed terminal. A process ended by a signal leaves its lock,
  // which the next command takes over once it finds the pid gone.
  process.on('exit', release);
  return { file, ...(tookOverFrom ? { tookOverFrom } : {}), release };
}

/** What a lock that replaced a stale one says about it, for the log. */
export function takeOverNotice(lock: RunLock): string | undefined {
  const was = lock.tookOverFrom;
  return was && `${lock.file}: took over the lock of edgebench process ${was.pid} (${was.command}, started ${was.startedAt}), which is no longer running`;
}

/** Creates the lock file if there is none; false if there is one. */
function create(file: string, holder: LockHolder): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new OutputWriteError(file, error as Error);
  }
  try {
    writeSync(fd, `${JSON.stringify(holder)}\n`);
  } catch (error) {
    closeSync(fd);
    rmSync(file, { force: true });
    throw new OutputWriteError(file, error as Error);
  }
  closeSync(fd);
  return true;
}

/**
 * Removes a stale lock if it is still the one read (`text`). The lock is first
 * renamed aside, atomically, so that of two processes taking it over only one
 * gets it; if what was moved aside is not the stale lock (another process took
 * the lock meanwhile), it is put back.
 */
function takeOver(file: string, text: string): boolean {
  const aside = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.stale`;
  try {
    renameSync(file, aside);
  } catch {
    return false;
  }
  if (readText(aside) === text) {
    rmSync(aside, { force: true });
    return true;
  }
  try {
    linkSync(aside, file);
  } catch {
    // A third process holds the lock by now; the one moved aside lost it, as its holder will find on release.
  }
  unlinkSync(aside);
  return false;
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    return LockHolder.parse(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/** A holder on this host whose process is gone. On another host, nothing can be known: the lock is taken as held. */
function isStale(holder: LockHolder): boolean {
  if (holder.hostname !== hostname()) return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
