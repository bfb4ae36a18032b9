import { describe, expect, it } from 'vitest';
import { extractedValues, extractionHallucinationRate, outOfDomainErrorRate } from '../../harness/scoring/hallucination.ts';
import { wilsonInterval } from '../../harness/stats/wilson.ts';

const INPUT = 'Order 1234 was shipped to Jane Doe in Berlin on 3 March, with salt and pepper.';
const item = (exampleId: string, output: string, input = INPUT) => ({ exampleId, input, output });

describe('extractionHallucinationRate', () => {
  it('accepts values copied from the input, whatever their case, punctuation or articles', () => {
    const result = extractionHallucinationRate([
      item('a', 'Jane Doe, Berlin'),
      item('b', 'JANE DOE and berlin'),
      item('c', 'order 1234;\n3 March'),
      item('d', 'the Berlin.'),
      item('e', 'salt and pepper'),
    ]);
    expect(result.perExample.every((e) => !e.flagged)).toBe(true);
    expect(result).toMatchObject({ n: 5, count: 0, rate: 0, ci95: wilsonInterval(0, 5) });
  });

  it('flags an example when any value is missing from the input, naming the first one', () => {
    const result = extractionHallucinationRate([item('a', 'Jane Doe; Paris; Rome'), item('b', 'Berlin')]);
    expect(result.perExample[0]).toEqual({ exampleId: 'a', flagged: true, detail: '"Paris" does not occur in the input' });
    expect(result.perExample[1]).toEqual({ exampleId: 'b', flagged: false });
  });

  it('needs the value as a contiguous run of whole tokens', () => {
    const flagged = (output: string) => extractionHallucinationRate([item('x', output)]).perExample[0]!.flagged;
    expect(flagged('Doe Jane')).toBe(true);
    expect(flagged('Jane Berlin')).toBe(true);
    expect(flagged('Berl')).toBe(true);
    expect(flagged('shipped to Jane')).toBe(false);
  });

  it('treats an empty output as an abstention and values with no tokens as nothing', () => {
    const result = extractionHallucinationRate([item('a', ''), item('b', '  \n '), item('c', 'the, ...; Berlin')]);
    expect(result.perExample.map((e) => e.flagged)).toEqual([false, false, false]);
    expect(result.perExample[0]!.detail).toMatch(/abstention/);
    expect(result.count).toBe(0);
  });

  it('reports the share of flagged examples with a Wilson interval', () => {
    const result = extractionHallucinationRate([item('a', 'Berlin'), item('b', 'Munich'), item('c', 'Jane Doe'), item('d', 'John Doe'), item('e', '')]);
    expect(result).toMatchObject({ n: 5, count: 2, rate: 0.4, ci95: wilsonInterval(2, 5) });
    expect(result.definition).toMatch(/contiguous token sequence/);
    expect(result.definition).toMatch(/abstention/);
  });

  it('reads an intent(slot=value, ...) answer as its slot values, so only a value missing from the utterance counts', () => {
    const prompt = "Extract the intent: 'Book a table at 7pm for two' ->";
    const flagged = (output: string) => extractionHallucinationRate([item('x', output, prompt)]).perExample[0]!;
    expect(flagged(' book_table(party=two, time=7pm)').flagged).toBe(false);
    expect(flagged('out_of_scope()').flagged).toBe(false);
    expect(flagged('book_table(party=two, time=7 pm)')).toEqual({ exampleId: 'x', flagged: true, detail: '"7 pm" does not occur in the input' });
    expect(flagged('book_table(party=four)').flagged).toBe(true);
    // Not a call form (nested parentheses): split as plain text, where the intent name is not in the input.
    expect(flagged('book_table(party=(two))').flagged).toBe(true);
    expect(extractedValues('send_money(amount=$50, contact=me and my wife)')).toEqual(['$50', 'me', 'my wife']);
  });

  it('refuses an empty set of examples', () => {
    expect(() => extractionHallucinationRate([])).toThrow(RangeError);
  });
});

describe('outOfDomainErrorRate', () => {
  const abstain = ['out_of_scope', 'unknown'] as const;

  it('counts out-of-scope examples answered with a label instead of abstaining', () => {
    const result = outOfDomainErrorRate(
      [
        { exampleId: 'in1', predicted: 'billing', outOfScope: false },
        { exampleId: 'in2', predicted: 'out_of_scope', outOfScope: false },
        { exampleId: 'oos1', predicted: 'out_of_scope', outOfScope: true },
        { exampleId: 'oos2', predicted: 'billing', outOfScope: true },
        { exampleId: 'oos3', predicted: 'unknown', outOfScope: true },
        { exampleId: 'oos4', predicted: 'refund', outOfScope: true },
      ],
      abstain,
    );
    expect(result).toMatchObject({ n: 4, count: 2, rate: 0.5, ci95: wilsonInterval(2, 4) });
    expect(result.perExample).toEqual([
      { exampleId: 'oos1', flagged: false },
      { exampleId: 'oos2', flagged: true, detail: 'answered "billing" instead of abstaining' },
      { exampleId: 'oos3', flagged: false },
      { exampleId: 'oos4', flagged: true, detail: 'answered "refund" instead of abstaining' },
    ]);
    expect(result.definition).toContain('"out_of_scope", "unknown"');
    expect(result.definition).toMatch(/out-of-scope examples/);
  });

  it('refuses when no example is out of scope or no abstain label is given', () => {
    expect(() => outOfDomainErrorRate([{ exampleId: 'a', predicted: 'billing', outOfScope: false }], abstain)).toThrow(/out-of-scope example/);
    expect(() => outOfDomainErrorRate([{ exampleId: 'a', predicted: 'billing', outOfScope: true }], [])).toThrow(/abstain label/);
  });
});
