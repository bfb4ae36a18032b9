/**
 * A file edgebench had to write could not be written. The message names the
 * path and the cause in words (from the errno), because "ENOENT" alone sends
 * people looking for a missing input, and "no space" alone hides a read-only
 * mount or a permission problem.
 */
export class OutputWriteError extends Error {
  /** The errno code (ENOSPC, EROFS, ...), or undefined for an error that carried none. */
  readonly code: string | undefined;

  constructor(
    readonly path: string,
    override readonly cause: Error,
  ) {
    const code = errnoOf(cause);
    super(`cannot write ${path}: ${writeProblem(cause)}; ${writeFix(code)}`);
    this.name = 'OutputWriteError';
    this.code = code;
  }
}

const PROBLEMS: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk is full (disk quota exceeded)',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOENT: 'the folder was removed',
};

const FIXES: Record<string, string> = {
  ENOSPC: 'free space',
  EDQUOT: 'free space',
  EROFS: 'write to a writable folder',
  EACCES: "fix the folder's permissions or write to another folder",
  EPERM: "fix the folder's permissions or write to another folder",
  ENOENT: 'recreate the folder or write to another one',
};

/** The errno code of a failed file operation, if it has one. */
export function errnoOf(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}

/** Why a write failed, in words with the errno code, e.g. "read-only file system (EROFS)". */
export function writeProblem(error: unknown): string {
  const code = errnoOf(error);
  if (code) return PROBLEMS[code] ? `${PROBLEMS[code]} (${code})` : code;
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}

/** What to do about a failed write, by its errno code. */
export function writeFix(code: string | undefined): string {
  return (code && FIXES[code]) || 'check the folder and try again';
}
