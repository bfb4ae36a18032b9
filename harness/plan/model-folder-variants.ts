import { dirname, join, relative, resolve } from 'node:path';
import { ConfigError } from '../config/errors.ts';
import type { ModelFolder } from '../core/model-folder.ts';
import type { Suite, VariantSpec } from '../core/suite.ts';
import { discoverModelFolder } from '../models/discover.ts';

/**
 * A suite that names a model folder (`model: ../models/smollm2`) gets the
 * folder's variants, most precise first, before any it lists itself; the
 * folder's tokenizer fills in a generate suite that names none (the task reads
 * the eos ids beside it), and its most precise variant is the fidelity reference
 * unless the suite names one. Warnings (a file name the graph contradicts) are
 * returned for validate and run to print.
 */
export async function withModelFolder(suite: Suite, suiteFile: string): Promise<{ suite: Suite; warnings: string[] }> {
  if (suite.model === undefined) return { suite, warnings: [] };
  const spec = typeof suite.model === 'string' ? { folder: suite.model } : suite.model;
  const suiteDir = dirname(suiteFile);
  let found: ModelFolder;
  try {
    found = await discoverModelFolder(resolve(suiteDir, spec.folder));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError(
      suiteFile,
      'model',
      `${relative(process.cwd(), error.file) || error.file}${error.field ? `: ${error.field}` : ''}: ${error.problem}`,
      error.fix,
    );
  }
  const names = found.variants.map((v) => v.name);
  const kept = spec.variants ?? names;
  const unknown = kept.filter((name) => !names.includes(name));
  if (unknown.length > 0) {
    throw new ConfigError(
      suiteFile,
      'model.variants',
      `no variant named ${unknown.map((n) => `"${n}"`).join(', ')} in ${spec.folder}`,
      `use some of: ${names.join(', ')}`,
    );
  }
  const fromFolder: VariantSpec[] = kept.map((name) => {
    const variant = found.variants.find((v) => v.name === name)!;
    return { name, file: relative(suiteDir, join(found.folder, variant.file)), precision: variant.precision.label };
  });
  const clash = suite.variants.find((v) => kept.includes(v.name));
  if (clash) {
    throw new ConfigError(
      suiteFile,
      'variants',
      `variant "${clash.name}" is also found in the model folder ${spec.folder}`,
      'rename it, or leave it to the folder',
    );
  }
  const variants = [...fromFolder, ...suite.variants];
  if (suite.baseline?.provider === 'reference' && !variants.some((v) => v.name === (suite.baseline as { variant: string }).variant)) {
    throw new ConfigError(
      suiteFile,
      'baseline.variant',
      `no variant named "${suite.baseline.variant}" in this suite or its model folder`,
      `use one of: ${variants.map((v) => v.name).join(', ')}`,
    );
  }
  const reference = kept.includes(found.reference) ? found.reference : kept[0];
  const generation =
    suite.task === 'generate'
      ? {
          maxNewTokens: suite.generation?.maxNewTokens ?? 32,
          ...suite.generation,
          ...(suite.generation?.tokenizer === undefined && found.tokenizer ? { tokenizer: relative(suiteDir, join(found.folder, found.tokenizer)) } : {}),
        }
      : suite.generation;
  return {
    suite: {
      ...suite,
      variants,
      ...(generation ? { generation } : {}),
      scoring: { ...suite.scoring, fidelityReference: suite.scoring.fidelityReference ?? reference },
    },
    warnings: found.warnings,
  };
}
