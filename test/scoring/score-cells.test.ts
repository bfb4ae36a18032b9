import { describe, expect, it } from 'vitest';
import { Suite } from '../../harness/core/suite.ts';
import type { Dataset } from '../../harness/plan/dataset.ts';
import type { CellResult } from '../../harness/core/results.ts';
import { scoreCells } from '../../harness/scoring/score-cells.ts';
import { classifyCell } from '../helpers/scored-cells.ts';

const LABELS = ['weather', 'alarm', 'out_of_scope'];

/** A classify cell whose per-example logits are given; the answer is the label of the largest logit. */
function cell(variant: string, logits: number[][], deviceId = 'host'): CellResult {
  return classifyCell(variant, LABELS, logits, deviceId);
}

// Four examples: two in scope, two out of scope; the cloud (recorded baseline) is right on all of them.
const truth = ['weather', 'alarm', 'out_of_scope', 'out_of_scope'];
const dataset: Dataset = {
  file: 'data.jsonl',
  sha256: 'x',
  examples: truth.map((label, i) => ({ id: `e${i}`, line: i + 1, text: `utterance ${i}`, fields: { label } })),
};
const suite = Suite.parse({
  name: 's',
  task: 'classify',
  dataset: 'data.jsonl',
  classification: { labels: LABELS, abstainLabels: ['out_of_scope'] },
  baseline: { provider: 'recorded' },
  router: { signal: 'max-probability', targetAccuracy: 1 },
  variants: [
    { name: 'fp32', precision: 'fp32', file: 'a.onnx' },
    { name: 'int8', precision: 'int8', file: 'b.onnx' },
  ],
});

describe('scoreCells', () => {
  const fp32 = cell('fp32', [
    [5, 0, 0],
    [0, 5, 0],
    [0, 0, 5],
    [0, 0, 5],
  ]);
  // int8 gets example 3 wrong (answers "weather" for an out-of-scope request), with low confidence.
  const int8 = cell('int8', [
    [5, 0, 0],
    [0, 5, 0],
    [0, 0, 5],
    [1, 0, 0.9],
  ]);
  const scores = scoreCells([fp32, int8], { suite, dataset, baselineAnswers: new Map(truth.map((t, i) => [`e${i}`, t])) });

  it('agreement with the recorded baseline, with its CI and per-example scores', () => {
    expect(scores.get(fp32)!.agreement).toMatchObject({ metric: 'accuracy', n: 4, value: 1 });
    const agreement = scores.get(int8)!.agreement!;
    expect(agreement.value).toBe(0.75);
    expect(agreement.perExample.map((e) => e.score)).toEqual([1, 1, 1, 0]);
    expect(agreement.ci95.lower).toBeLessThan(0.75);
  });

  it('out-of-domain error over the out-of-scope examples only', () => {
    expect(scores.get(int8)!.outOfDomain).toMatchObject({ n: 2, count: 1, rate: 0.5 });
    expect(scores.get(fp32)!.outOfDomain).toMatchObject({ n: 2, count: 0, rate: 0 });
  });

  it('fidelity against fp32 on the same device, and none for fp32 itself', () => {
    const fidelity = scores.get(int8)!.fidelity!;
    expect(fidelity).toMatchObject({ reference: 'fp32', distributions: 4, top1Agreement: 0.75 });
    expect(fidelity.maxAbsLogitError).toBeCloseTo(4.1, 12); // |5 - 0.9| on example 3
    expect(scores.get(fp32)!.fidelity).toBeUndefined();
  });

  it('router: forwarding the one unsure request reaches 100% with 75% kept local', () => {
    const router = scores.get(int8)!.router!;
    expect(router.recommended).toMatchObject({ localShare: 0.75, cloudShare: 0.25, combinedAccuracy: 1 });
  });

  it('says why a scorer could not run', () => {
    const orphan = cell('int8', [[5, 0, 0]], 'other-device');
    const quality = scoreCells([orphan], { suite, dataset, baselineAnswers: new Map([['e0', 'weather']]) }).get(orphan)!;
    expect(quality.unscored).toContainEqual({
      scorer: 'fidelity',
      reason: 'the reference variant "fp32" has no result on device other-device',
      missing: ['referenceOutputs'],
    });
  });
});
