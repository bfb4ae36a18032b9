import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeModel } from '../../harness/onnx/build.ts';
import { buildClassifier, type ClassifierShape } from './classifier.ts';
import { buildVocabulary, generateUtterances, LABELS, tokenize } from './intents.ts';

export const DEMO_SHAPE: Omit<ClassifierShape, 'vocabularySize' | 'classes'> = { embeddingSize: 256, hiddenSize: 1536, hiddenLayers: 2, seed: 20261124 };

export interface DemoPaths {
  classifier: string;
  classifierExternal: string;
  dataset: string;
}

export function demoPaths(root: string): DemoPaths {
  return {
    classifier: join(root, 'classifier', 'model.onnx'),
    classifierExternal: join(root, 'classifier-external-data', 'model.onnx'),
    dataset: join(root, 'intents-test.jsonl'),
  };
}

/**
 * Writes the demo intent classifier (in two on-disk layouts: one file, and weights
 * in an external data file) and its test set. Deterministic; skipped when present.
 */
export async function buildDemoModels(root: string, options: { force?: boolean; shape?: Partial<typeof DEMO_SHAPE>; testExamples?: number } = {}): Promise<DemoPaths> {
  const paths = demoPaths(root);
  if (!options.force && Object.values(paths).every((p) => existsSync(p))) return paths;
  const vocabulary = buildVocabulary();
  const shape: ClassifierShape = { ...DEMO_SHAPE, ...options.shape, vocabularySize: vocabulary.length, classes: LABELS.length };
  for (const file of [paths.classifier, paths.classifierExternal]) {
    await mkdir(join(file, '..'), { recursive: true });
    await writeFile(join(file, '..', 'vocab.json'), JSON.stringify(vocabulary));
    await writeFile(join(file, '..', 'labels.json'), JSON.stringify(LABELS));
  }
  await writeModel(paths.classifier, buildClassifier(shape));
  await writeModel(paths.classifierExternal, buildClassifier(shape), { minBytes: 1024 });
  const examples = generateUtterances(options.testExamples ?? 200, 7, 'test').map((u) => ({
    id: u.id,
    text: u.text,
    label: u.label,
    inputs: { input_ids: [tokenize(u.text, vocabulary)] },
  }));
  await writeFile(paths.dataset, examples.map((e) => JSON.stringify(e)).join('\n') + '\n');
  return paths;
}
