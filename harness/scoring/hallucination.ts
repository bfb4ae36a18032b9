import { wilsonInterval } from '../stats/wilson.ts';
import { answerTokens } from './normalize.ts';

/** A share of flagged examples, with the exact definition it was counted under. */
export interface RateScore {
  n: number;
  count: number;
  rate: number;
  ci95: { lower: number; upper: number };
  /** The exact definition used, written into results so a reader can recount. */
  definition: string;
  perExample: { exampleId: string; flagged: boolean; detail?: string }[];
}

export const EXTRACTION_HALLUCINATION_DEFINITION =
  'share of examples whose output has a value (output split on commas, semicolons, newlines and " and "; ' +
  'an output of the form name(key=value, ...) gives the values of its arguments) that, after SQuAD normalisation, ' +
  'is non-empty and does not occur as a contiguous token sequence in the normalised input; an empty output is an abstention and is not flagged; ' +
  '95% CI: Wilson score interval (Wilson 1927)';

const VALUE_SEPARATOR = /[,;\r\n]|\s+and\s+/iu;

/** intent(slot=value, ...): the intent and slot names are the answer's vocabulary, only the slot values are copied from the input. */
const CALL_FORM = /^\s*[\p{L}\p{N}_.-]+\s*\(([^()]*)\)\s*$/su;

/** The values an output extracts: its comma-, semicolon-, newline- or "and"-separated parts, or a call-form answer's argument values. */
export function extractedValues(output: string): string[] {
  const call = CALL_FORM.exec(output);
  if (!call) return output.split(VALUE_SEPARATOR);
  return call[1]!.split(VALUE_SEPARATOR).map((argument) => argument.slice(argument.indexOf('=') + 1));
}

/**
 * Extraction hallucination rate: an extracted value that cannot be found in
 * the text it was extracted from was made up. Copy-or-not is checked on
 * normalised tokens so case, punctuation and articles do not count as invention.
 */
export function extractionHallucinationRate(items: readonly { exampleId: string; input: string; output: string }[]): RateScore {
  if (items.length === 0) throw new RangeError('extraction hallucination rate needs at least one example with an input text and an output; got none');
  const perExample = items.map(({ exampleId, input, output }) => {
    if (output.trim() === '') return { exampleId, flagged: false, detail: 'empty output: abstention' };
    const inputTokens = answerTokens(input);
    const invented = extractedValues(output).find((value) => {
      const valueTokens = answerTokens(value);
      return valueTokens.length > 0 && !containsRun(inputTokens, valueTokens);
    });
    return invented === undefined ? { exampleId, flagged: false } : { exampleId, flagged: true, detail: `"${invented.trim()}" does not occur in the input` };
  });
  return rateOf(perExample, EXTRACTION_HALLUCINATION_DEFINITION);
}

/**
 * Out-of-domain error rate: among the examples that no in-scope label fits,
 * how often the model answered with a label instead of abstaining.
 */
export function outOfDomainErrorRate(
  items: readonly { exampleId: string; predicted: string; outOfScope: boolean }[],
  abstainLabels: readonly string[],
): RateScore {
  if (abstainLabels.length === 0) throw new RangeError('out-of-domain error rate needs at least one abstain label');
  const outOfScope = items.filter((item) => item.outOfScope);
  if (outOfScope.length === 0) throw new RangeError('out-of-domain error rate needs at least one out-of-scope example; got none');
  const perExample = outOfScope.map(({ exampleId, predicted }) =>
    abstainLabels.includes(predicted) ? { exampleId, flagged: false } : { exampleId, flagged: true, detail: `answered "${predicted}" instead of abstaining` },
  );
  const labels = abstainLabels.map((label) => `"${label}"`).join(', ');
  return rateOf(
    perExample,
    `share of out-of-scope examples whose prediction is not one of the abstain labels ${labels} (it answered with an in-scope label instead of abstaining), labels compared exactly; 95% CI: Wilson score interval (Wilson 1927)`,
  );
}

/** True when `needle` occurs in `haystack` as consecutive elements. */
function containsRun(haystack: readonly string[], needle: readonly string[]): boolean {
  for (let start = 0; start + needle.length <= haystack.length; start++) {
    if (needle.every((token, offset) => haystack[start + offset] === token)) return true;
  }
  return false;
}

function rateOf(perExample: RateScore['perExample'], definition: string): RateScore {
  const count = perExample.filter((e) => e.flagged).length;
  const n = perExample.length;
  return { n, count, rate: count / n, ci95: wilsonInterval(count, n), definition, perExample };
}
