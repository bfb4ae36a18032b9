import type { Quality, ScorerInput, ScorerName } from '../core/quality.ts';
import type { CellResult } from '../core/results.ts';
import type { ExampleOutput } from '../core/runner-protocol.ts';
import type { Suite } from '../core/suite.ts';
import type { ReferenceRecord } from '../stats/perplexity-statistics.ts';

/** The value of each scorer input; a key per ScorerInput, so a new input needs its type here. */
export interface ScorerInputValues {
  /** Text answer by example id, in output order. */
  answers: ReadonlyMap<string, string>;
  /** Baseline answer by example id. */
  baselineAnswers: ReadonlyMap<string, string>;
  /** Expected label by example id: the dataset's "label", else the baseline's answer. */
  labels: ReadonlyMap<string, string>;
  /** The dataset's "text" by example id. */
  inputTexts: ReadonlyMap<string, string>;
  /** Ids of the examples whose expected label is an abstain label. */
  outOfDomainSet: ReadonlySet<string>;
  /** The reference variant's name and its outputs by example id. */
  referenceOutputs: { variant: string; outputs: ReadonlyMap<string, ExampleOutput> };
  /** Class or first-token distribution by example id. */
  logits: ReadonlyMap<string, readonly number[]>;
  /** perplexity: the stored reference distributions (top-k-reference.ts) the windows were scored against. */
  storedReference: ReferenceRecord;
}

/** The cell being scored and the suite that asked for the scores. */
export interface ScoringSubject {
  suite: Suite;
  cell: CellResult;
}

/** The fields of Quality a scorer may fill. */
export type Scores = Partial<Omit<Quality, 'baseline' | 'unscored'>>;

/** What one scorer made of one cell: scores, or why its inputs were there but not enough. */
export type ScorerResult = { kind: 'scored'; scores: Scores } | { kind: 'unscored'; reason: string };

/**
 * One quality measure. The scoring step gathers the inputs it `requires`;
 * when one is missing the scorer does not run and the cell records
 * "unscored, because ..." with the missing inputs, so `score` always gets
 * every input it names.
 */
export interface Scorer<I extends ScorerInput = ScorerInput> {
  name: ScorerName;
  requires: readonly I[];
  /** Whether the suite asks for this score on this cell; a scorer that does not apply leaves no trace. */
  appliesTo(subject: ScoringSubject): boolean;
  score(inputs: Pick<ScorerInputValues, I>, subject: ScoringSubject): ScorerResult;
}

/** Infers a scorer's inputs from its `requires` list, so `score` sees exactly those. */
export function defineScorer<I extends ScorerInput>(scorer: Scorer<I>): Scorer<I> {
  return scorer;
}

export const scored = (scores: Scores): ScorerResult => ({ kind: 'scored', scores });
export const unscored = (reason: string): ScorerResult => ({ kind: 'unscored', reason });
