import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeModel } from '../../harness/onnx/build.ts';
import { manifestPathFor } from '../../harness/quantize/manifest.ts';
import { defaultOutputPath, quantizeModel } from '../../harness/quantize/quantize.ts';
import { buildClassifier, type ClassifierShape } from './classifier.ts';
import { buildDecoder, DEMO_DECODER_SHAPE } from './decoder.ts';
import { byteLevelTokenizerJson } from './byte-tokenizer.ts';
import { decoderPromptExamples } from './decoder-prompts.ts';
import { buildVocabulary, generateUtterances, LABELS, tokenize, withTypos, type Utterance } from './intents.ts';
import { trainClassifier, type LabelledTokens } from './train-classifier.ts';

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
const DEMO_BUILD = 'demo-models 4';

export interface DemoPaths {
  classifierDir: string;
  classifier: string;
  decoderDir: string;
  decoder: string;
  intentsDataset: string;
  promptsDataset: string;
}

export function demoPaths(root: string): DemoPaths {
  const classifierDir = join(root, 'intent-classifier');
  const decoderDir = join(root, 'tiny-decoder');
  return {
    classifierDir,
    classifier: join(classifierDir, 'model.onnx'),
    decoderDir,
    // The Hugging Face / transformers.js layout: weights under onnx/, quantized siblings beside them.
    decoder: join(decoderDir, 'onnx', 'model.onnx'),
    intentsDataset: join(root, 'intents-test.jsonl'),
    promptsDataset: join(root, 'decoder-prompts.jsonl'),
  };
}

/** Every file the demo suites read, so a half-built demo folder is rebuilt. */
function expectedFiles(paths: DemoPaths): string[] {
  return [paths.classifier, paths.decoder, paths.intentsDataset, paths.promptsDataset, join(paths.decoderDir, 'tokenizer.json')].flatMap((file) =>
    file.endsWith('.onnx')
      ? [file, defaultOutputPath(file, 'int8'), defaultOutputPath(file, 'int4')]
          .flatMap((f) => [f, manifestPathFor(f)])
          .filter((f) => f !== manifestPathFor(file))
      : [file],
  );
}

/**
 * The demo model family, each in fp32 and as int8 and int4 variants made by
 * `edgebench quantize`: the intent classifier (trained here, on template data)
 * and a GPT-style decoder with a KV cache in the Optimum export layout (seeded
 * random weights, weights in an external data file). Deterministic; skipped when present.
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

  await writeModel(paths.decoder, buildDecoder(DEMO_DECODER_SHAPE), { minBytes: 1024 });
  await writeJsonLines(paths.promptsDataset, decoderPromptExamples(40, 11));
  await writeFile(join(paths.decoderDir, 'tokenizer.json'), JSON.stringify(byteLevelTokenizerJson()));
  await writeFile(join(paths.decoderDir, 'tokenizer_config.json'), JSON.stringify({ model_max_length: DEMO_DECODER_SHAPE.maxPositions }));
  log('wrote the tiny decoder (seeded random weights)');

  for (const model of [paths.classifier, paths.decoder]) {
    await quantizeModel({ input: model, to: 'int8' });
    // The output head stays at 8 bits: the layer whose errors reach the logits directly.
    await quantizeModel({ input: model, to: 'int4', keepInt8: model === paths.decoder ? ['*lm_head*'] : ['*classifier*'] });
  }
  log('quantized both to int8 and int4');
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
