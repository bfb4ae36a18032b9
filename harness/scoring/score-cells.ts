import type { Quality, ScorerInput, Unscored } from '../core/quality.ts';
import type { CellResult } from '../core/results.ts';
import { SCORERS } from './registry.ts';
import type { Scorer, ScorerInputValues, ScoringSubject } from './scorer.ts';
import { baselineOf, cellInputs, type GatherSource, type ScoringContext } from './scorer-inputs.ts';

export type { ScoringContext } from './scorer-inputs.ts';

/**
 * The scoring stage: quality of every cell against the suite's baseline and
 * its reference variant on the same device. Pure: reads cells, returns their
 * Quality; a scorer that cannot run says why in `unscored`.
 */
export function scoreCells(
  cells: readonly CellResult[],
  context: ScoringContext,
  scorers: readonly Scorer[] = Object.values(SCORERS),
): Map<CellResult, Quality> {
  const examples = new Map(context.dataset.examples.map((e) => [e.id, e]));
  const scored = new Map<CellResult, Quality>();
  for (const cell of cells) {
    if (cell.status !== 'ok' || cell.outputs.length === 0) continue;
    scored.set(cell, scoreCell(cellInputs(cell, cells, context, examples), scorers));
  }
  return scored;
}

/** Offers one cell to every scorer that applies: gathers the inputs each requires, and records why when one is missing. */
export function scoreCell(source: GatherSource, scorers: readonly Scorer[]): Quality {
  const { suite } = source.context;
  const spec = suite.baseline;
  const quality: Quality = { unscored: [] };
  const detail = baselineOf(source).detail;
  if (spec && detail) quality.baseline = { provider: spec.provider, detail };
  const subject: ScoringSubject = { suite, cell: source.cell };
  for (const scorer of scorers) {
    if (!scorer.appliesTo(subject)) continue;
    const outcome = run(scorer, source, subject);
    if ('scores' in outcome) Object.assign(quality, outcome.scores);
    else quality.unscored.push(outcome.unscored);
  }
  return quality;
}

function run(scorer: Scorer, source: GatherSource, subject: ScoringSubject): { scores: Partial<Quality> } | { unscored: Unscored } {
  const inputs: Partial<Record<ScorerInput, unknown>> = {};
  const missing: { input: ScorerInput; reason: string }[] = [];
  for (const name of scorer.requires) {
    const gathered = source.input(name);
    if ('value' in gathered) inputs[name] = gathered.value;
    else missing.push({ input: name, reason: gathered.missing });
  }
  if (missing.length > 0) {
    const reasons = [...new Set(missing.map((m) => m.reason))];
    return { unscored: { scorer: scorer.name, reason: reasons.join('; '), missing: missing.map((m) => m.input) } };
  }
  // Every required input is present: the object holds exactly the keys `requires` names.
  const result = scorer.score(inputs as ScorerInputValues, subject);
  return result.kind === 'scored' ? { scores: result.scores } : { unscored: { scorer: scorer.name, reason: result.reason } };
}
