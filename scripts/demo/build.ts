import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeModel } from '../../harness/onnx/build.ts';
import { manifestPathFor } from '../../harness/quantize/manifest.ts';
import { defaultOutputPath, quantizeModel } from '../../harness/quantize/quantize.ts';
import { buildClassifier, type ClassifierShape } from './classifier.ts';
import { buildVocabulary, generateUtterances, LABELS, tokenize, withTypos, type Utterance } from './intents.ts';
import { trainClassifier, type LabelledTokens } from './train-classifier.ts';
import { buildDemoDecoder, TRAINED_DECODER } from './trained-decoder.ts';

/**
 * 3.2 MB of float32 MatMul weights (256x768, 768x768, 768x11): enough that int8 and int4
 * variants differ measurably in size and speed, small enough to train in a few seconds.
 */
export const DEMO_SHAPE: Omit<ClassifierShape, 'vocabularySize' | 'classes'> = { embeddingSize: 256, hiddenSize: 768, hiddenLayers: 2, seed: 20261124 };

/** Different seeds, so the test split is not the training split replayed. */
export const DEMO_SPLITS = {
  train: { examples: 1200, seed: 1, prefix: 'train' },
  test: { examples: 200, seed: 7, prefix: 'test' },
} as const;

/** Two epochs already fit the training split; more only add build time. */
export const DEMO_TRAINING = { epochs: 2, batchSize: 32, learningRate: 1e-3 } as const;

/** Bumped whenever what the build writes changes, so an older demo folder is rebuilt rather than misread. */
const DEMO_BUILD = 'demo-models 5';

export interface DemoPaths {
  classifierDir: string;
  classifier: string;
  decoderDir: string;
  decoder: string;
  decoderGguf: string;
  intentsDataset: string;
  promptsDataset: string;
}

export function demoPaths(root: string): DemoPaths {
  const classifierDir = join(root, 'intent-classifier');
  const decoderDir = join(root, 'trained-decoder');
  return {
    classifierDir,
    classifier: join(classifierDir, 'model.onnx'),
    decoderDir,
    // The Hugging Face / transformers.js layout: weights under onnx/, quantized siblings beside them.
    decoder: join(decoderDir, 'onnx', 'model.onnx'),
    decoderGguf: join(decoderDir, 'onnx', 'model_q4_k_m.gguf'),
    intentsDataset: join(root, 'intents-test.jsonl'),
    promptsDataset: join(root, 'decoder-prompts.jsonl'),
  };
}

/** Every file the demo suites read, so a half-built demo folder is rebuilt. */
function expectedFiles(paths: DemoPaths): string[] {
  return [paths.classifier, paths.decoder, paths.intentsDataset, paths.promptsDataset, join(paths.decoderDir, 'tokenizer.json')]
    .flatMap((file) =>
      file.endsWith('.onnx')
        ? [file, defaultOutputPath(file, 'int8'), defaultOutputPath(file, 'int4')]
            .flatMap((f) => [f, manifestPathFor(f)])
            .filter((f) => f !== manifestPathFor(file))
        : [file],
    )
    .concat(paths.decoderGguf, manifestPathFor(paths.decoderGguf));
}

/**
 * The demo model family, each in fp32 and as int8 and int4 variants made by
 * `edgebench quantize`: the intent classifier (trained here, on template data)
 * and the trained Llama-style decoder (copied from the committed fp32 export),
 * which `edgebench convert` also writes as a GGUF Q4_K_M file for llama.cpp.
 * Deterministic; skipped when present.
 */
export async function buildDemoModels(root: string, options: { force?: boolean; log?: (line: string) => void } = {}): Promise<DemoPaths> {
  const paths = demoPaths(root);
  const stamp = join(root, 'BUILD');
  const current = existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === DEMO_BUILD;
  if (!options.force && current && expectedFiles(paths).every((p) => existsSync(p))) return paths;
  const log = options.log ?? (() => {});

  const vocabulary = buildVocabulary();
  const shape: ClassifierShape = { ...DEMO_SHAPE, vocabularySize: vocabulary.length, classes: LABELS.length };
  await mkdir(paths.classifierDir, { recursive: true });
  await writeFile(join(paths.classifierDir, 'vocab.json'), JSON.stringify(vocabulary));
  await writeFile(join(paths.classifierDir, 'labels.json'), JSON.stringify(LABELS));
  const { train, test } = DEMO_SPLITS;
  const started = Date.now();
  const weights = trainClassifier({ shape, train: labelledTokens(generateUtterances(train.examples, train.seed, train.prefix), vocabulary), ...DEMO_TRAINING });
  log(`trained the intent classifier in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  await writeModel(paths.classifier, buildClassifier(shape, weights));
  // `baseline` is what the cloud model answered; the demo records the template's true intent there.
  const examples = withTypos(generateUtterances(test.examples, test.seed, test.prefix), 0.6, test.seed + 1).map((u) => ({
    id: u.id,
    text: u.text,
    label: u.label,
    baseline: u.label,
    inputs: { input_ids: [tokenize(u.text, vocabulary)] },
  }));
  await writeJsonLines(paths.intentsDataset, examples);

  await quantizeModel({ input: paths.classifier, to: 'int8' });
  // The output head stays at 8 bits: the layer whose errors reach the logits directly.
  await quantizeModel({ input: paths.classifier, to: 'int4', keepInt8: ['*classifier*'] });
  log('quantized the classifier to int8 and int4');

  await buildDemoDecoder(paths);
  log(`copied the trained decoder from ${TRAINED_DECODER}, quantized it to int8 and int4 and converted it to GGUF Q4_K_M`);
  await writeFile(stamp, `${DEMO_BUILD}\n`);
  return paths;
}

async function writeJsonLines(file: string, rows: readonly unknown[]): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, rows.map((row) => JSON.stringify(row)).join('\n') + '\n');
}

export function labelledTokens(utterances: readonly Utterance[], vocabulary: readonly string[]): LabelledTokens[] {
  return utterances.map((u) => ({ tokens: tokenize(u.text, vocabulary), label: LABELS.indexOf(u.label) }));
}
