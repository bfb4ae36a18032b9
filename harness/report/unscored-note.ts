import type { ScorerInput, Unscored } from '../core/quality.ts';
import type { Results } from '../core/results.ts';

/** Each scorer input as a reader knows it. */
const INPUT_TITLES = {
  answers: 'text answers',
  baselineAnswers: 'baseline answers',
  labels: 'expected labels',
  inputTexts: 'input texts',
  outOfDomainSet: 'out-of-scope examples',
  referenceOutputs: 'reference variant outputs',
  logits: 'logits',
  storedReference: 'stored reference distributions',
} as const satisfies Record<ScorerInput, string>;

/**
 * Why a scorer did not score a cell, in one line:
 * `fidelity unscored, because <reason> (missing: reference variant outputs)`.
 * Results written before inputs were named have no `missing`: the reason alone.
 */
export function unscoredNote(unscored: Unscored): string {
  const missing = unscored.missing?.length ? ` (missing: ${unscored.missing.map((m) => INPUT_TITLES[m]).join(', ')})` : '';
  return `${unscored.scorer} unscored, because ${unscored.reason}${missing}`;
}

/** Every unscored scorer of the runs' cells, each prefixed with its device and variant (and run, when there are several). */
export function unscoredNotes(runs: readonly Results[]): string[] {
  return runs.flatMap((run) =>
    run.cells.flatMap((cell) =>
      (cell.quality?.unscored ?? []).map((u) => `${runs.length > 1 ? `${run.runId} / ` : ''}${cell.deviceId} / ${cell.variant.name}: ${unscoredNote(u)}`),
    ),
  );
}
