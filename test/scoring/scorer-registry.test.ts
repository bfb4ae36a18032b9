import { describe, expect, it } from 'vitest';
import { ScorerInput, ScorerName } from '../../harness/core/quality.ts';
import { Suite } from '../../harness/core/suite.ts';
import { SCORERS } from '../../harness/scoring/registry.ts';
import { scoreCells } from '../../harness/scoring/score-cells.ts';
import { defineScorer, scored, type ScorerInputValues } from '../../harness/scoring/scorer.ts';
import { GATHERERS } from '../../harness/scoring/scorer-inputs.ts';
import { classifyCell, datasetOf } from '../helpers/scored-cells.ts';

const LABELS = ['yes', 'no'];
const suite = Suite.parse({
  name: 's',
  task: 'classify',
  dataset: 'data.jsonl',
  classification: { labels: LABELS },
  baseline: { provider: 'recorded' },
  variants: [
    { name: 'fp32', precision: 'fp32', file: 'a.onnx' },
    { name: 'int8', precision: 'int8', file: 'b.onnx' },
  ],
});
const dataset = datasetOf([{ text: 'first', fields: { label: 'yes' } }, { text: 'second', fields: { label: 'no' } }, { text: 'third' }]);

describe('the scorer registry', () => {
  it('has one scorer per ScorerName, filed under its own name', () => {
    expect(Object.keys(SCORERS).sort()).toEqual([...ScorerName.options].sort());
    for (const [name, scorer] of Object.entries(SCORERS)) expect(scorer.name).toBe(name);
  });

  it('names only known inputs, each with a gatherer', () => {
    expect(Object.keys(GATHERERS).sort()).toEqual([...ScorerInput.options].sort());
    for (const scorer of Object.values(SCORERS)) {
      expect(scorer.requires.length).toBeGreaterThan(0);
      for (const input of scorer.requires) expect(ScorerInput.options).toContain(input);
    }
  });

  it('gives a scorer exactly the inputs it requires, gathered from the cell, the dataset and the reference variant', () => {
    const seen: Partial<ScorerInputValues>[] = [];
    const probe = defineScorer({
      name: 'agreement',
      requires: ['answers', 'labels', 'inputTexts', 'referenceOutputs'],
      appliesTo: ({ cell }) => cell.variant.name === 'int8',
      score(inputs) {
        seen.push(inputs);
        return scored({});
      },
    });
    const fp32 = classifyCell('fp32', LABELS, [
      [2, 0],
      [0, 2],
      [2, 0],
    ]);
    const int8 = classifyCell('int8', LABELS, [
      [2, 0],
      [2, 0],
      [0, 2],
    ]);
    const baselineAnswers = new Map([['e2', 'no']]);
    scoreCells([fp32, int8], { suite, dataset, baselineAnswers }, [probe]);
    expect(seen).toHaveLength(1); // the probe applies to int8 only
    const inputs = seen[0]!;
    expect(Object.keys(inputs).sort()).toEqual(['answers', 'inputTexts', 'labels', 'referenceOutputs']);
    expect([...inputs.answers!]).toEqual([
      ['e0', 'yes'],
      ['e1', 'yes'],
      ['e2', 'no'],
    ]); // int8's own answers, in output order
    // The dataset's label where there is one, else the baseline's answer.
    expect([...inputs.labels!]).toEqual([
      ['e0', 'yes'],
      ['e1', 'no'],
      ['e2', 'no'],
    ]);
    expect([...inputs.inputTexts!.values()]).toEqual(['first', 'second', 'third']);
    expect(inputs.referenceOutputs!.variant).toBe('fp32');
    expect(inputs.referenceOutputs!.outputs.get('e1')).toEqual(fp32.outputs[1]!.output);
  });

  it('leaves no trace of a scorer the suite does not ask for', () => {
    const fp32 = classifyCell('fp32', LABELS, [[2, 0]]);
    const quality = scoreCells([fp32], { suite, dataset, baselineAnswers: new Map([['e0', 'yes']]) }).get(fp32)!;
    // No router, no abstain labels, no extraction scoring, and fp32 is its own fidelity reference.
    expect(quality.unscored).toEqual([]);
    expect(Object.keys(quality).sort()).toEqual(['agreement', 'baseline', 'unscored']);
  });

  it('runs every registered scorer a suite asks for, through the same step', () => {
    const full = Suite.parse({
      ...suite,
      classification: { labels: [...LABELS, 'other'], abstainLabels: ['other'] },
      scoring: { hallucination: 'extraction' },
      router: { signal: 'max-probability', targetAccuracy: 0.5 },
    });
    const labels = [...LABELS, 'other'];
    const data = datasetOf([
      { text: 'yes please', fields: { label: 'yes' } },
      { text: 'no thanks', fields: { label: 'no' } },
      { text: 'what', fields: { label: 'other' } },
    ]);
    const fp32 = classifyCell('fp32', labels, [
      [3, 0, 0],
      [0, 3, 0],
      [0, 0, 3],
    ]);
    const int8 = classifyCell('int8', labels, [
      [3, 0, 0],
      [0, 3, 0],
      [1, 0, 0.5],
    ]);
    const quality = scoreCells([fp32, int8], {
      suite: full,
      dataset: data,
      baselineAnswers: new Map([
        ['e0', 'yes'],
        ['e1', 'no'],
        ['e2', 'other'],
      ]),
    }).get(int8)!;
    expect(quality.unscored).toEqual([]);
    expect(quality.agreement).toMatchObject({ metric: 'accuracy', n: 3 });
    expect(quality.agreement!.value).toBeCloseTo(2 / 3, 12);
    expect(quality.hallucination).toMatchObject({ n: 3, count: 1 }); // "yes" and "no" occur in their inputs; "yes" for "what" does not
    expect(quality.outOfDomain).toMatchObject({ n: 1, count: 1 });
    expect(quality.fidelity).toMatchObject({ reference: 'fp32', distributions: 3 });
    expect(quality.fidelity!.top1Agreement).toBeCloseTo(2 / 3, 12);
    expect(quality.router!.points.length).toBeGreaterThan(0);
  });
});
