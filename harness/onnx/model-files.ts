import { stat } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import type { ModelInspection } from './model-file.ts';
import { sha256FileOnce, sha256Text } from '../files/hash.ts';
import type { VariantFile } from '../core/model-variant.ts';
import type { z } from 'zod';

export interface ModelFiles {
  files: z.infer<typeof VariantFile>[];
  diskBytes: number;
  /** sha256 over "<file sha256>  <path>" lines of all files, sorted by path (sha256sum's format). */
  sha256: string;
}

/** Sizes and hashes of every file a model needs: the .onnx file and the external data it references. */
export async function hashModelFiles(modelPath: string, model: ModelInspection): Promise<ModelFiles> {
  const folder = dirname(modelPath);
  const paths = [relative(folder, modelPath), ...model.externalData.map((e) => e.location)].sort();
  const files = await Promise.all(
    paths.map(async (path) => {
      const absolute = join(folder, path);
      return { path, bytes: (await stat(absolute)).size, sha256: await sha256FileOnce(absolute) };
    }),
  );
  return { files, diskBytes: files.reduce((sum, f) => sum + f.bytes, 0), sha256: sha256Text(files.map((f) => `${f.sha256}  ${f.path}\n`).join('')) };
}
