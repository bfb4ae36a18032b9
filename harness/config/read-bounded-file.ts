import { closeSync, constants, fstatSync, openSync, readFileSync, readSync, statSync, type Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { ConfigError } from './errors.ts';

const MiB = 1024 * 1024;

/** Size limits of the files edgebench reads whole into memory; models are large by nature and have none. */
export const FILE_LIMITS = {
  /** suite files and devices.yaml */
  config: 1 * MiB,
  /** datasets and class label lists */
  dataset: 64 * MiB,
  /** cached cloud-baseline answers */
  baselineAnswer: 64 * MiB,
  /** signing keys: a few hundred bytes when genuine */
  key: 1 * MiB,
  /** quantize manifests and signature files: kilobytes, more for a model of many layers */
  manifest: 16 * MiB,
} as const;

export interface ReadLimit {
  /** What the file is, for messages: "suite file", "dataset", ... */
  what: string;
  /** Largest size accepted, in bytes; undefined reads a regular file of any size. */
  maxBytes?: number;
  /** How to get under the limit, e.g. "split the dataset into several suites". */
  tooLargeFix?: string;
}

const CHUNK = 1 * MiB;
// Opening a FIFO for reading waits for a writer; non-blocking, one swapped in after the stat cannot hang the open either, and fstat names it.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/**
 * Reads a whole file that must be a regular file (or a symlink to one) of at
 * most `maxBytes`. A device such as /dev/zero never ends and a FIFO blocks
 * forever, so anything else is refused before a byte is read; the size is
 * checked both before reading and while reading, so a file that grows in
 * between still stops at the limit. Errors from the file system itself
 * (ENOENT, EACCES) are thrown unchanged, for callers to word in their terms.
 */
export function readBoundedFileSync(file: string, limit: ReadLimit): Buffer {
  // stat before open: opening a socket fails (ENXIO) before it could be named.
  checkRegularFile(file, statSync(file), limit.what);
  const fd = openSync(file, OPEN_FLAGS);
  try {
    const stats = fstatSync(fd);
    checkRegularAndSize(file, stats, limit);
    if (limit.maxBytes === undefined) return readFileSync(fd);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(chunkSize(stats, total, limit));
      const read = readSync(fd, chunk, 0, chunk.length, null);
      if (read === 0) break;
      chunks.push(chunk.subarray(0, read));
      total += read;
      checkGrowth(file, total, limit);
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

/** readBoundedFileSync without blocking the event loop. */
export async function readBoundedFile(file: string, limit: ReadLimit): Promise<Buffer> {
  checkRegularFile(file, await stat(file), limit.what);
  const handle = await open(file, OPEN_FLAGS);
  try {
    const stats = await handle.stat();
    checkRegularAndSize(file, stats, limit);
    if (limit.maxBytes === undefined) return await handle.readFile();
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(chunkSize(stats, total, limit));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      checkGrowth(file, total, limit);
    }
    return Buffer.concat(chunks, total);
  } finally {
    await handle.close();
  }
}

/** Refuses what is not a regular file, naming what it is. */
function checkRegularFile(file: string, stats: Stats, what: string): void {
  if (stats.isFile()) return;
  throw new ConfigError(
    file,
    undefined,
    `the ${what} is ${kindOf(stats)}, not a regular file`,
    `point edgebench at the ${what} itself (a regular file, or a symlink to one)`,
  );
}

function checkRegularAndSize(file: string, stats: Stats, limit: ReadLimit): void {
  checkRegularFile(file, stats, limit.what);
  if (limit.maxBytes !== undefined && stats.size > limit.maxBytes) throw tooLarge(file, `${formatBytes(stats.size)}`, limit);
}

function checkGrowth(file: string, total: number, limit: ReadLimit): void {
  if (limit.maxBytes !== undefined && total > limit.maxBytes)
    throw tooLarge(file, `more than ${formatBytes(limit.maxBytes)} (it grew while being read)`, limit);
}

// Sized to the file (one byte more, to see its end), never more than one byte past the limit: that byte shows the file is too large.
function chunkSize(stats: Stats, total: number, limit: ReadLimit): number {
  const left = limit.maxBytes !== undefined ? limit.maxBytes + 1 - total : Number.POSITIVE_INFINITY;
  return Math.min(CHUNK, left, Math.max(stats.size + 1 - total, 4096));
}

function tooLarge(file: string, size: string, limit: ReadLimit): ConfigError {
  return new ConfigError(
    file,
    undefined,
    `the ${limit.what} is ${size}, over edgebench's limit of ${formatBytes(limit.maxBytes!)} for a ${limit.what}`,
    limit.tooLargeFix ?? `check that this is the right file; a genuine ${limit.what} is far smaller`,
  );
}

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a named pipe (FIFO)';
  if (stats.isCharacterDevice()) return 'a character device (such as /dev/zero or a terminal)';
  if (stats.isBlockDevice()) return 'a block device (a disk)';
  if (stats.isSocket()) return 'a socket';
  return 'something other than a file';
}

function formatBytes(bytes: number): string {
  if (bytes >= MiB) return `${Number.isInteger(bytes / MiB) ? bytes / MiB : (bytes / MiB).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} bytes`;
}
