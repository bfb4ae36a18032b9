import { stat } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import type { VariantSpec } from '../config/suite.ts';
import { inspectModel, type ModelInspection } from '../onnx/model-file.ts';
import { sha256File, sha256Text } from './hash.ts';
import type { ModelVariant } from './model-variant.ts';

export interface ResolvedVariant {
  variant: ModelVariant;
  /** Absolute path handed to runners. */
  modelPath: string;
  model: ModelInspection;
}

/**
 * Finds every file a variant needs (the .onnx file and any external data files
 * it references), checks they are complete, and hashes them. Throws
 * ModelFileError for a missing, truncated or corrupt model.
 */
export async function resolveVariant(spec: VariantSpec, suiteDir: string): Promise<ResolvedVariant> {
  const modelPath = resolve(suiteDir, spec.file);
  const model = await inspectModel(modelPath);
  const folder = dirname(modelPath);
  const paths = [relative(folder, modelPath), ...model.externalData.map((e) => e.location)].sort();
  const files = await Promise.all(
    paths.map(async (path) => {
      const absolute = join(folder, path);
      return { path, bytes: (await stat(absolute)).size, sha256: await sha256File(absolute) };
    }),
  );
  return {
    modelPath,
    model,
    variant: {
      name: spec.name,
      precision: spec.precision,
      file: relative(process.cwd(), modelPath),
      files,
      diskBytes: files.reduce((sum, f) => sum + f.bytes, 0),
      sha256: sha256Text(files.map((f) => `${f.sha256}  ${f.path}\n`).join('')),
    },
  };
}
