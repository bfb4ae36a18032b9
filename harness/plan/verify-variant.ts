import { dirname, join } from 'node:path';
import { sha256FileOnce } from '../files/hash.ts';
import type { ResolvedVariant } from './resolve-variant.ts';

/**
 * Checks a variant's files against the sha256 the plan recorded, just before
 * a runner process loads them: the results must describe the model that ran.
 * Returns what changed, or undefined. Hashes are remembered per file identity
 * (sha256FileOnce), so repeats of a cell do not re-read gigabytes of weights
 * unless the file was touched.
 */
export async function variantChanged(variant: Pick<ResolvedVariant, 'modelPath' | 'variant'>): Promise<string | undefined> {
  const folder = dirname(variant.modelPath);
  for (const file of variant.variant.files) {
    const path = join(folder, file.path);
    let sha256;
    try {
      sha256 = await sha256FileOnce(path);
    } catch {
      return `variant ${variant.variant.name}: ${path} is gone since the run was planned`;
    }
    if (sha256 !== file.sha256)
      return `variant ${variant.variant.name}: ${file.path} changed since the run was planned (sha256 ${file.sha256.slice(0, 12)}… then, ${sha256.slice(0, 12)}… now); the cell was not run, so no result describes a model other than the one named`;
  }
  return undefined;
}
