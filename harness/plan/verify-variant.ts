import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { sha256File } from './hash.ts';
import type { ResolvedVariant } from './resolve-variant.ts';

/** Hashes already checked in this process, by file identity: a file rewritten since has another mtime or size. */
const checked = new Map<string, string>();

/**
 * Checks a variant's files against the sha256 the plan recorded, just before
 * a runner process loads them: the results must describe the model that ran.
 * Returns what changed, or undefined. A file's hash is computed once per
 * identity (device, inode, size, mtime), so repeats of a cell do not re-read
 * gigabytes of weights unless the file was touched.
 */
export async function variantChanged(variant: Pick<ResolvedVariant, 'modelPath' | 'variant'>): Promise<string | undefined> {
  const folder = dirname(variant.modelPath);
  for (const file of variant.variant.files) {
    const path = join(folder, file.path);
    let info;
    try {
      info = await stat(path, { bigint: true });
    } catch {
      return `variant ${variant.variant.name}: ${path} is gone since the run was planned`;
    }
    const identity = `${path}\u0000${info.dev}\u0000${info.ino}\u0000${info.size}\u0000${info.mtimeNs}`;
    let sha256 = checked.get(identity);
    if (sha256 === undefined) {
      sha256 = await sha256File(path);
      checked.set(identity, sha256);
    }
    if (sha256 !== file.sha256) return `variant ${variant.variant.name}: ${file.path} changed since the run was planned (sha256 ${file.sha256.slice(0, 12)}… then, ${sha256.slice(0, 12)}… now); the cell was not run, so no result describes a model other than the one named`;
  }
  return undefined;
}
