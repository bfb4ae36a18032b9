import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

/** sha256 of a file, streamed so multi-gigabyte weights do not need to fit in memory. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function sha256Text(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Hashes computed in this process, by file identity: a file rewritten since has another mtime or size. */
const known = new Map<string, string>();

/**
 * sha256 of a file, computed once per identity (device, inode, size, mtime):
 * the plan hashes every variant, and the check before each runner process
 * then costs a stat unless the file was touched. A file that changed while it
 * was read is not remembered.
 */
export async function sha256FileOnce(file: string): Promise<string> {
  const identity = async () => {
    const info = await stat(file, { bigint: true });
    return `${file}\u0000${info.dev}\u0000${info.ino}\u0000${info.size}\u0000${info.mtimeNs}`;
  };
  const before = await identity();
  const cached = known.get(before);
  if (cached !== undefined) return cached;
  const sha256 = await sha256File(file);
  if ((await identity()) === before) known.set(before, sha256);
  return sha256;
}
