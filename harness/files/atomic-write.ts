import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { OutputWriteError } from './write-error.ts';

/**
 * Writes a file atomically: the text goes to a temp file with a unique name in
 * the same folder, is flushed to disk, and is renamed over the file, so a
 * reader never sees half a file and a crash never leaves one. The temp file is
 * removed on any failure, so a full disk leaves no litter. Failures are
 * OutputWriteError, naming the file and the cause. With `createFolder: false`
 * a folder that is gone is an error (ENOENT) rather than made again.
 *
 * A target that is a link or a character device (a link the user made,
 * /dev/stdout, /dev/null) is written through: renaming over it would replace
 * the link or the device with a file. Anything else in the way (a FIFO, a
 * socket) is replaced, since writing to it could block forever.
 */
export async function atomicWrite(file: string, text: string | Uint8Array, options: { createFolder?: boolean } = {}): Promise<void> {
  const existing = await lstat(file).catch(() => undefined);
  if (existing && (existing.isSymbolicLink() || existing.isCharacterDevice())) {
    await writeFile(file, text).catch((error: Error) => {
      throw new OutputWriteError(file, error);
    });
    return;
  }
  if (options.createFolder ?? true) await makeFolder(dirname(file), file);
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw new OutputWriteError(file, error as Error);
  }
}

/**
 * Creates a folder and its parents. A recursive mkdir under a read-only or
 * forbidden parent reports ENOENT, so the first missing folder is then created
 * on its own, which reports the real cause (EROFS, EACCES).
 */
export async function makeFolder(dir: string, forFile = dir): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new OutputWriteError(forFile, error as Error);
  }
  let missing = dir;
  while (dirname(missing) !== missing && !(await exists(dirname(missing)))) missing = dirname(missing);
  try {
    await mkdir(missing);
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw new OutputWriteError(forFile, error as Error);
  }
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );
