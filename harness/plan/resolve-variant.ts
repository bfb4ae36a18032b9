import { dirname, relative, resolve } from 'node:path';
import { ConfigError } from '../config/errors.ts';
import type { VariantSpec } from '../core/suite.ts';
import type { ModelInspection } from '../onnx/model-file.ts';
import { inspectModelFile } from '../gguf/inspect-model-file.ts';
import { readManifest, type VariantManifest } from '../quantize/manifest.ts';
import { hashModelFiles } from '../onnx/model-files.ts';
import type { ModelVariant } from '../core/model-variant.ts';

export interface ResolvedVariant {
  variant: ModelVariant;
  /** Absolute path handed to runners. */
  modelPath: string;
  model: ModelInspection;
}

/**
 * Finds every file a variant needs (the .onnx file and any external data files
 * it references), checks they are complete, and hashes them. A variant named by
 * its manifest must match the manifest's hashes. Throws ModelFileError for a
 * missing, truncated or corrupt model, ConfigError for a bad manifest.
 */
export async function resolveVariant(spec: VariantSpec, suiteDir: string, where: { suiteFile: string; field: string }): Promise<ResolvedVariant> {
  const manifestFile = spec.manifest ? resolve(suiteDir, spec.manifest) : undefined;
  const manifest = manifestFile ? await loadManifest(manifestFile, where) : undefined;
  const modelPath = manifestFile && manifest ? resolve(dirname(manifestFile), manifest.model) : resolve(suiteDir, spec.file!);
  const model = await inspectModelFile(modelPath);
  const files = await hashModelFiles(modelPath, model);
  if (manifest && manifest.sha256 !== files.sha256) {
    const changed = files.files.filter((f) => !manifest.files.some((m) => m.path === f.path && m.sha256 === f.sha256)).map((f) => f.path);
    throw new ConfigError(
      where.suiteFile,
      `${where.field}.manifest`,
      `the files of variant "${spec.name}" do not match its manifest (changed: ${changed.join(', ') || 'the file list'})`,
      'the variant was modified after quantization; quantize it again, or restore the files',
    );
  }
  const precision = manifest?.precision ?? spec.precision!;
  if (manifest && spec.precision && spec.precision !== manifest.precision) {
    throw new ConfigError(
      where.suiteFile,
      `${where.field}.precision`,
      `precision ${spec.precision} contradicts the manifest (${manifest.precision})`,
      'remove precision: the manifest says what the variant is',
    );
  }
  return {
    modelPath,
    model,
    variant: {
      name: spec.name,
      precision,
      file: relative(process.cwd(), modelPath),
      ...files,
      ...(manifest && manifestFile
        ? {
            provenance: {
              manifest: relative(process.cwd(), manifestFile),
              sourceModel: manifest.source.model,
              sourceSha256: manifest.source.sha256,
              quantization: manifest.quantization,
            },
          }
        : {}),
    },
  };
}

async function loadManifest(file: string, where: { suiteFile: string; field: string }): Promise<VariantManifest> {
  try {
    return await readManifest(file);
  } catch (error) {
    if (error instanceof ConfigError) {
      const field = error.field ? `: ${error.field}` : '';
      throw new ConfigError(where.suiteFile, `${where.field}.manifest`, `${relative(process.cwd(), file)}${field}: ${error.problem}`, error.fix);
    }
    const code = (error as NodeJS.ErrnoException).code;
    const problem =
      code === 'ENOENT'
        ? `manifest ${relative(process.cwd(), file)} not found`
        : `manifest ${relative(process.cwd(), file)} is not a valid edgebench manifest (${(error as Error).message.split('\n')[0]})`;
    throw new ConfigError(where.suiteFile, `${where.field}.manifest`, problem, 'check the path (relative to the suite file), or run edgebench quantize again');
  }
}
