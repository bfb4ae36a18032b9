import type { Suite } from '../core/suite.ts';
import type { Dataset, Example } from '../plan/dataset.ts';
import type { Quality } from '../core/quality.ts';
import type { CellResult } from '../core/results.ts';
import type { ExampleOutput } from '../core/runner-protocol.ts';
import { exactMatch, labelAccuracy, tokenF1, type AgreementScore } from './agreement.ts';
import { confidenceSignals } from './confidence.ts';
import { fidelity } from '../stats/fidelity.ts';
import { extractionHallucinationRate, outOfDomainErrorRate } from './hallucination.ts';
import { simulateRouter } from './router.ts';

export interface ScoringContext {
  suite: Suite;
  dataset: Dataset;
  /** recorded or openai-compatible answers by example id; absent for the reference provider. */
  baselineAnswers?: Map<string, string>;
}

/**
 * The scoring stage: quality of every cell against the suite's baseline and
 * its reference variant on the same device. Pure: reads cells, returns their
 * Quality; a scorer that cannot run says why in `unscored`.
 */
export function scoreCells(cells: readonly CellResult[], context: ScoringContext): Map<CellResult, Quality> {
  const examples = new Map(context.dataset.examples.map((e) => [e.id, e]));
  const scored = new Map<CellResult, Quality>();
  for (const cell of cells) {
    if (cell.status !== 'ok' || cell.outputs.length === 0) continue;
    scored.set(cell, scoreCell(cell, cells, examples, context));
  }
  return scored;
}

function scoreCell(cell: CellResult, cells: readonly CellResult[], examples: Map<string, Example>, context: ScoringContext): Quality {
  const { suite } = context;
  const quality: Quality = { unscored: [] };
  const skip = (scorer: string, reason: string) => quality.unscored.push({ scorer, reason });
  const sameDevice = (variant: string | undefined) => cells.find((c) => c.deviceId === cell.deviceId && c.variant.name === variant);

  const baseline = baselineFor(cell, sameDevice, context);
  if (baseline.detail) quality.baseline = { provider: suite.baseline!.provider, detail: baseline.detail };
  if (baseline.answers) {
    const pairs = cell.outputs.flatMap((o) => (o.answer !== undefined && baseline.answers!.has(o.exampleId) ? [{ exampleId: o.exampleId, predicted: o.answer, expected: baseline.answers!.get(o.exampleId)! }] : []));
    if (pairs.length > 0) quality.agreement = agreement(suite, pairs);
    else skip('agreement', 'no example has both an answer and a baseline answer');
  } else if (baseline.reason) skip('agreement', baseline.reason);

  if (suite.scoring.hallucination === 'extraction') {
    const items = cell.outputs.flatMap((o) => {
      const input = examples.get(o.exampleId)?.text;
      return o.answer !== undefined && input !== undefined ? [{ exampleId: o.exampleId, input, output: o.answer }] : [];
    });
    if (items.length > 0) quality.hallucination = extractionHallucinationRate(items);
    else skip('hallucination', 'extraction scoring needs a "text" field on each dataset line and a text answer per example');
  }

  const abstain = suite.classification?.abstainLabels ?? [];
  if (abstain.length > 0) {
    const items = cell.outputs.flatMap((o) => {
      const expected = expectedLabel(examples.get(o.exampleId), baseline.answers?.get(o.exampleId));
      return o.answer !== undefined && expected !== undefined ? [{ exampleId: o.exampleId, predicted: o.answer, outOfScope: abstain.includes(expected) }] : [];
    });
    if (items.some((i) => i.outOfScope)) quality.outOfDomain = outOfDomainErrorRate(items, abstain);
    else skip('outOfDomain', 'no example in the dataset is labelled out of scope');
  }

  const referenceName = suite.scoring.fidelityReference ?? suite.variants.find((v) => v.precision === 'fp32')?.name;
  const reference = sameDevice(referenceName);
  if (!referenceName) skip('fidelity', 'the suite has no fp32 variant and names no scoring.fidelityReference');
  else if (cell.variant.name === referenceName) {
    // The reference itself: nothing to compare.
  } else if (!reference || reference.status !== 'ok') skip('fidelity', `the reference variant "${referenceName}" has no result on device ${cell.deviceId}`);
  else scoreAgainstReference(cell, reference, quality, skip);

  if (suite.router && baseline.answers) {
    const items = cell.outputs.flatMap((o) => {
      const logits = distributionOf(o.output);
      const cloud = baseline.answers!.get(o.exampleId);
      const truth = expectedLabel(examples.get(o.exampleId), cloud);
      return logits && cloud !== undefined && truth !== undefined && o.answer !== undefined
        ? [{ exampleId: o.exampleId, signals: confidenceSignals(logits), localCorrect: o.answer === truth, cloudCorrect: cloud === truth }]
        : [];
    });
    const signalKey = ({ 'max-probability': 'maxProbability', entropy: 'entropy', 'logit-gap': 'logitGap' } as const)[suite.router.signal];
    if (items.some((i) => !Number.isFinite(i.signals[signalKey]))) skip('router', `the ${suite.router.signal} signal is infinite for some examples (masked logits): use another signal`);
    else if (items.length > 0) quality.router = simulateRouter(items, suite.router.signal, suite.router.targetAccuracy);
    else skip('router', 'no example has both a confidence signal and a baseline answer');
  }
  return quality;
}

/** Where this cell's baseline answers come from, in words for the report. */
function baselineFor(cell: CellResult, sameDevice: (variant: string | undefined) => CellResult | undefined, context: ScoringContext): { answers?: Map<string, string>; detail?: string; reason?: string } {
  const spec = context.suite.baseline;
  if (!spec) return { reason: 'the suite names no baseline' };
  if (spec.provider === 'reference') {
    if (cell.variant.name === spec.variant) return { detail: `variant ${spec.variant} (this variant)`, reason: 'this variant is the reference' };
    const reference = sameDevice(spec.variant);
    if (!reference || reference.status !== 'ok') return { detail: `variant ${spec.variant}`, reason: `the reference variant "${spec.variant}" has no result on device ${cell.deviceId}` };
    return { answers: new Map(reference.outputs.flatMap((o) => (o.answer !== undefined ? [[o.exampleId, o.answer] as const] : []))), detail: `variant ${spec.variant} on ${cell.deviceId}` };
  }
  const detail = spec.provider === 'recorded' ? `dataset field "${spec.field}"` : `${spec.model} (openai-compatible)`;
  return context.baselineAnswers ? { answers: context.baselineAnswers, detail } : { detail, reason: 'the baseline answers were not loaded' };
}

function agreement(suite: Suite, pairs: { exampleId: string; predicted: string; expected: string }[]): AgreementScore {
  const metric = suite.scoring.metric ?? (suite.task === 'classify' ? 'accuracy' : 'exact-match');
  return metric === 'accuracy' ? labelAccuracy(pairs) : metric === 'exact-match' ? exactMatch(pairs) : tokenF1(pairs);
}

/** The true label when the dataset has one, otherwise the baseline's answer. */
function expectedLabel(example: Example | undefined, baselineAnswer: string | undefined): string | undefined {
  const label = example?.fields.label;
  return typeof label === 'string' ? label : baselineAnswer;
}

/** The distribution a confidence signal and fidelity are computed on. */
function distributionOf(output: ExampleOutput): number[] | undefined {
  if (output.kind === 'classify') return output.logits;
  if (output.kind === 'generate') return output.firstTokenLogits;
  return undefined;
}

function scoreAgainstReference(cell: CellResult, reference: CellResult, quality: Quality, skip: (scorer: string, reason: string) => void): void {
  const referenceOutputs = new Map(reference.outputs.map((o) => [o.exampleId, o.output]));
  const pairs = cell.outputs.flatMap((o) => {
    const ref = referenceOutputs.get(o.exampleId);
    return ref && ref.kind === o.output.kind ? [{ candidate: o.output, reference: ref }] : [];
  });
  if (pairs.length === 0) return skip('fidelity', `no example has outputs from both this variant and "${reference.variant.name}"`);
  const first = pairs[0]!.candidate;
  if (first.kind === 'embed') {
    const cosines = pairs.map((p) => cosine((p.candidate as { vector: number[] }).vector, (p.reference as { vector: number[] }).vector));
    quality.embeddingCosine = { reference: reference.variant.name, n: cosines.length, mean: cosines.reduce((a, b) => a + b, 0) / cosines.length, min: Math.min(...cosines) };
    return;
  }
  const rows = (key: 'candidate' | 'reference') => pairs.map((p) => distributionOf(p[key])!);
  const result = fidelity(rows('reference'), rows('candidate'), rows('reference')[0]!.length);
  const sequenceAgreement =
    first.kind === 'generate'
      ? pairs.filter((p) => JSON.stringify((p.candidate as { tokenIds: number[] }).tokenIds) === JSON.stringify((p.reference as { tokenIds: number[] }).tokenIds)).length / pairs.length
      : undefined;
  quality.fidelity = { reference: reference.variant.name, ...result, ...(sequenceAgreement !== undefined ? { sequenceAgreement } : {}) };
}

/** Cosine similarity of two vectors; 0 when either is all zeros. */
function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    normA += a[i]! ** 2;
    normB += b[i]! ** 2;
  }
  return normA && normB ? dot / Math.sqrt(normA * normB) : 0;
}
