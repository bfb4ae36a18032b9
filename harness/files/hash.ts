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

/** Hashes computed (or being computed) in this process, by file identity: a file rewritten since has another mtime or size. */
const known = new Map<string, Promise<string>>();

/**
 * sha256 of a file, computed once per identity (device, inode, size, mtime):
 * the plan hashes every variant, so the check before each runner process and
 * the push to a board then cost a stat unless the file was touched. Callers
 * asking at once share one read. A file that changed while it was read is
 * not remembered.
 */
export async function sha256FileOnce(file: string): Promise<string> {
  const identity = async () => {
    const info = await stat(file, { bigint: true });
    return `${file}\u0000${info.dev}\u0000${info.ino}\u0000${info.size}\u0000${info.mtimeNs}`;
  };
  const before = await identity();
  let hashing = known.get(before);
  if (!hashing) {
    hashing = sha256File(file);
    known.set(before, hashing);
    void hashing.then(
      async () => {
        if ((await identity().catch(() => undefined)) !== before) known.delete(before);
      },
      () => known.delete(before),
    );
  }
  return hashing;
}
