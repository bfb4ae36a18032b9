import { describe, expect, it } from 'vitest';
import { Quality } from '../../harness/core/quality.ts';
import { Results } from '../../harness/core/results.ts';
import { Suite } from '../../harness/core/suite.ts';
import { scoreCells } from '../../harness/scoring/score-cells.ts';
import { defineScorer } from '../../harness/scoring/scorer.ts';
import { results } from '../helpers/results.ts';
import { classifyCell, datasetOf, outputCell } from '../helpers/scored-cells.ts';

const LABELS = ['yes', 'no', 'other'];
const variants = [
  { name: 'fp32', precision: 'fp32', file: 'a.onnx' },
  { name: 'int8', precision: 'int8', file: 'b.onnx' },
];
const labelled = datasetOf([
  { text: 'yes', fields: { label: 'yes' } },
  { text: 'no', fields: { label: 'no' } },
]);

describe('a scorer whose input is missing', () => {
  it('records "unscored" for the router when the baseline answers are not there, instead of skipping it', () => {
    const suite = Suite.parse({
      name: 's',
      task: 'classify',
      dataset: 'd.jsonl',
      classification: { labels: LABELS },
      baseline: { provider: 'recorded' },
      router: { signal: 'entropy', targetAccuracy: 0.9 },
      variants,
    });
    const int8 = classifyCell('int8', LABELS, [
      [2, 0, 0],
      [0, 2, 0],
    ]);
    const quality = scoreCells(
      [
        classifyCell('fp32', LABELS, [
          [2, 0, 0],
          [0, 2, 0],
        ]),
        int8,
      ],
      { suite, dataset: labelled },
    ).get(int8)!;
    expect(quality.router).toBeUndefined();
    expect(quality.baseline).toEqual({ provider: 'recorded', detail: 'dataset field "baseline"' });
    expect(quality.unscored).toContainEqual({ scorer: 'router', reason: 'the baseline answers were not loaded', missing: ['baselineAnswers'] });
    expect(quality.unscored).toContainEqual({ scorer: 'agreement', reason: 'the baseline answers were not loaded', missing: ['baselineAnswers'] });
    // Fidelity needs no baseline: it still scores.
    expect(quality.fidelity).toMatchObject({ reference: 'fp32', top1Agreement: 1 });
  });

  it('lists every missing input, each reason once', () => {
    const suite = Suite.parse({
      name: 's',
      task: 'embed',
      dataset: 'd.jsonl',
      baseline: { provider: 'recorded' },
      router: { signal: 'entropy', targetAccuracy: 0.9 },
      scoring: { hallucination: 'extraction' },
      variants,
    });
    const vectors = [{ output: { kind: 'embed' as const, vector: [1, 0] } }, { output: { kind: 'embed' as const, vector: [0, 1] } }];
    const int8 = outputCell('int8', vectors);
    const quality = scoreCells([outputCell('fp32', vectors), int8], { suite, dataset: datasetOf([{}, {}]) }).get(int8)!;
    const router = quality.unscored.find((u) => u.scorer === 'router')!;
    expect(router.missing).toEqual(['answers', 'baselineAnswers', 'labels', 'logits']);
    expect(router.reason).toBe(
      'the variant gave no text answer for any example; the baseline answers were not loaded; no dataset line has a "label" field and no baseline answer stands in for one; the outputs carry no class or first-token logits (an embed task records vectors only)',
    );
    expect(quality.unscored.find((u) => u.scorer === 'hallucination')).toEqual({
      scorer: 'hallucination',
      reason: 'the variant gave no text answer for any example; no dataset line has a "text", "prompt" or "messages" field',
      missing: ['answers', 'inputTexts'],
    });
    // Embeddings are compared with the reference's by cosine.
    expect(quality.embeddingCosine).toEqual({ reference: 'fp32', n: 2, mean: 1, min: 1 });
  });

  it('never calls the scorer, so it needs no check of its own', () => {
    const suite = Suite.parse({ name: 's', task: 'classify', dataset: 'd.jsonl', classification: { labels: LABELS }, variants });
    let calls = 0;
    const needsLogits = defineScorer({
      name: 'router',
      requires: ['logits'],
      appliesTo: () => true,
      score: () => {
        calls++;
        throw new Error('called without its input');
      },
    });
    const cell = outputCell('int8', [{ output: { kind: 'embed', vector: [1] }, answer: 'yes' }]);
    const quality = scoreCells([cell], { suite, dataset: labelled }, [needsLogits]).get(cell)!;
    expect(calls).toBe(0);
    expect(quality.unscored).toEqual([
      { scorer: 'router', reason: 'the outputs carry no class or first-token logits (an embed task records vectors only)', missing: ['logits'] },
    ]);
  });

  it('names the reference when the reference variant is the baseline and this is it', () => {
    const suite = Suite.parse({
      name: 's',
      task: 'classify',
      dataset: 'd.jsonl',
      classification: { labels: LABELS },
      baseline: { provider: 'reference', variant: 'fp32' },
      variants,
    });
    const fp32 = classifyCell('fp32', LABELS, [[2, 0, 0]]);
    const quality = scoreCells([fp32], { suite, dataset: labelled }).get(fp32)!;
    expect(quality.baseline).toEqual({ provider: 'reference', detail: 'variant fp32 (this variant)' });
    expect(quality.unscored).toEqual([{ scorer: 'agreement', reason: 'this variant is the reference', missing: ['baselineAnswers'] }]);
  });

  it("keeps a scorer's own reason when its inputs were there but not enough, without a missing list", () => {
    const suite = Suite.parse({
      name: 's',
      task: 'classify',
      dataset: 'd.jsonl',
      classification: { labels: LABELS },
      baseline: { provider: 'recorded' },
      variants,
    });
    const int8 = classifyCell('int8', LABELS, [[2, 0, 0]]);
    const quality = scoreCells([classifyCell('fp32', LABELS, [[2, 0, 0]]), int8], { suite, dataset: labelled, baselineAnswers: new Map([['e1', 'no']]) }).get(
      int8,
    )!;
    expect(quality.unscored).toEqual([{ scorer: 'agreement', reason: 'no example has both an answer and a baseline answer' }]);
  });
});

describe('unscored entries in results files', () => {
  it('reads an entry written before inputs were named', () => {
    expect(
      Quality.parse({ unscored: [{ scorer: 'fidelity', reason: 'the reference variant "fp32" has no result on device d' }] }).unscored[0]!.missing,
    ).toBeUndefined();
    const run = results([{ variant: 'v', samples: [1, 2, 3] }]);
    const old = JSON.parse(JSON.stringify(run));
    old.cells[0].quality = { unscored: [{ scorer: 'router', reason: 'no example has both a confidence signal and a baseline answer' }] };
    expect(Results.parse(old).cells[0]!.quality!.unscored).toEqual([
      { scorer: 'router', reason: 'no example has both a confidence signal and a baseline answer' },
    ]);
  });

  it('rejects an input or a scorer it does not know', () => {
    expect(Quality.safeParse({ unscored: [{ scorer: 'fidelity', reason: 'r', missing: ['weather'] }] }).success).toBe(false);
    expect(Quality.safeParse({ unscored: [{ scorer: 'vibes', reason: 'r' }] }).success).toBe(false);
  });
});
