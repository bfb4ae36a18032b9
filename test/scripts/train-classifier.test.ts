import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { onnx } from '../../harness/onnx/proto.ts';
import { argmax } from '../../harness/stats/argmax.ts';
import { DEMO_SPLITS, labelledTokens } from '../../scripts/demo/build.ts';
import { buildClassifier, type ClassifierShape, type ClassifierWeights } from '../../scripts/demo/classifier.ts';
import { buildVocabulary, generateUtterances, LABELS } from '../../scripts/demo/intents.ts';
import { accuracy, classifierLogits, trainClassifier, type TrainingOptions } from '../../scripts/demo/train-classifier.ts';

const vocabulary = buildVocabulary();
const splits = Object.fromEntries(
  Object.entries(DEMO_SPLITS).map(([name, split]) => [name, labelledTokens(generateUtterances(split.examples, split.seed, split.prefix), vocabulary)]),
) as Record<keyof typeof DEMO_SPLITS, ReturnType<typeof labelledTokens>>;

// Small enough to train in well under a second; odd sizes exercise the kernels' leftover rows and columns.
const shape: ClassifierShape = { vocabularySize: vocabulary.length, embeddingSize: 30, hiddenSize: 63, hiddenLayers: 2, classes: LABELS.length, seed: 5 };
const options: TrainingOptions = { shape, train: splits.train, epochs: 6, batchSize: 30, learningRate: 3e-3 };

function bytes(weights: ClassifierWeights): Uint8Array[] {
  return [weights.embedding, ...weights.layers.flatMap((l) => [l.weight, l.bias])].map((a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
}

describe('trainClassifier', () => {
  it('lowers the training loss epoch by epoch', () => {
    const losses: number[] = [];
    trainClassifier({ ...options, onEpoch: (_, loss) => losses.push(loss) });
    expect(losses).toHaveLength(options.epochs);
    for (let epoch = 1; epoch < losses.length; epoch++) expect(losses[epoch]).toBeLessThan(losses[epoch - 1]!);
    expect(losses.at(-1)).toBeLessThan(losses[0]! / 10);
  });

  it('gives bit-identical weights for the same seed, and different ones for another', () => {
    const first = trainClassifier(options);
    expect(bytes(trainClassifier(options))).toEqual(bytes(first));
    expect(bytes(trainClassifier({ ...options, shape: { ...shape, seed: shape.seed + 1 } }))).not.toEqual(bytes(first));
  });

  it('rejects examples the model cannot represent, naming the example', () => {
    expect(() => trainClassifier({ ...options, train: [{ tokens: [], label: 0 }] })).toThrow(/train\[0\] has no tokens/);
    expect(() => trainClassifier({ ...options, train: [{ tokens: [vocabulary.length], label: 0 }] })).toThrow(/train\[0\] has token id/);
    expect(() => trainClassifier({ ...options, train: [{ tokens: [2], label: LABELS.length }] })).toThrow(/train\[0\]\.label/);
  });
});

describe('the ONNX model built from trained weights', () => {
  it('computes the JS forward pass in onnxruntime and classifies the test split', async () => {
    const weights = trainClassifier(options);
    const session = await ort.InferenceSession.create(onnx.ModelProto.encode(buildClassifier(shape, weights)).finish(), { intraOpNumThreads: 1 });
    try {
      const test = splits.test;
      const expected = classifierLogits(
        shape,
        weights,
        test.map((e) => e.tokens),
      );
      const predictions: number[] = [];
      for (const [i, example] of test.entries()) {
        const inputIds = new ort.Tensor('int64', BigInt64Array.from(example.tokens, BigInt), [1, example.tokens.length]);
        const logits = (await session.run({ input_ids: inputIds })).logits!;
        expect(logits.dims).toEqual([1, LABELS.length]);
        const data = logits.data as Float32Array;
        const jsLogits = expected.subarray(i * LABELS.length, (i + 1) * LABELS.length);
        for (let c = 0; c < LABELS.length; c++) expect(Math.abs(data[c]! - jsLogits[c]!)).toBeLessThan(1e-4);
        predictions.push(argmax(data));
      }
      const correctShare = (examples: number[]) => examples.filter((i) => predictions[i] === test[i]!.label).length / examples.length;
      const all = test.map((_, i) => i);
      expect(correctShare(all)).toBeGreaterThanOrEqual(0.9);
      expect(correctShare(all.filter((i) => LABELS[test[i]!.label] === 'out_of_scope'))).toBeGreaterThanOrEqual(0.9);
      expect(accuracy(shape, weights, test)).toBe(correctShare(all));
    } finally {
      await session.release();
    }
  });
});
