import { z } from 'zod';

const Interval = z.strictObject({
  lower: z.number().describe('Lower bound of the 95% confidence interval.'),
  upper: z.number().describe('Upper bound of the 95% confidence interval.'),
});

export const AgreementScoreSchema = z.strictObject({
  metric: z
    .enum(['accuracy', 'exact-match', 'token-f1'])
    .describe(
      'accuracy: predicted label equals the expected label exactly (classify); exact-match: answers equal after SQuAD normalisation; token-f1: mean SQuAD token F1 (generate).',
    ),
  n: z.number().int().describe('Examples scored: those with both an answer and a baseline answer.'),
  value: z.number().describe('Share of agreement in [0, 1]: the mean of perExample scores.'),
  ci95: Interval.describe(
    '95% confidence interval of value: Wilson score interval for accuracy and exact match, percentile bootstrap of the mean for token F1.',
  ),
  method: z.string().describe('One line: how value and its interval were computed.'),
  perExample: z
    .array(
      z.strictObject({
        exampleId: z.string().describe('The dataset example.'),
        score: z.number().describe('1 or 0 for accuracy and exact match; token F1 in [0, 1].'),
      }),
    )
    .describe('The score of each example, kept for paired tests between variants.'),
});

export const SlotScoreSchema = z.strictObject({
  n: z.number().int().describe('Examples scored: those with both an answer and a baseline answer written as a call.'),
  f1: z.number().describe('Slot F1: micro-averaged over every (slot, value) pair of every example, in [0, 1].'),
  precision: z.number().describe("Pairs the answers share with the baseline's, over the answers' pairs."),
  recall: z.number().describe("Pairs the answers share with the baseline's, over the baseline's pairs."),
  ci95: Interval.describe('95% percentile bootstrap interval of f1, resampling examples.'),
  intentAccuracy: z.number().describe("Share of examples whose call name (the intent) is the baseline's."),
  definition: z.string().describe('How the answers were parsed and the pairs matched, in words.'),
  perExample: z
    .array(
      z.strictObject({
        exampleId: z.string().describe('The dataset example.'),
        matched: z.number().int().describe("(slot, value) pairs in both the answer and the baseline's."),
        predicted: z.number().int().describe('(slot, value) pairs in the answer; 0 for an answer that is not a call.'),
        expected: z.number().int().describe("(slot, value) pairs in the baseline's answer."),
        intentMatched: z.boolean().describe("Whether the answer's call name is the baseline's."),
      }),
    )
    .describe('The counts of each example, so the figures can be recounted.'),
});

export const RateScoreSchema = z.strictObject({
  n: z.number().int().describe('Examples the rate is over.'),
  count: z.number().int().describe('Examples flagged.'),
  rate: z.number().describe('count / n.'),
  ci95: Interval.describe('95% Wilson score interval of rate.'),
  definition: z.string().describe('The exact definition the examples were flagged under, so a reader can recount.'),
  perExample: z
    .array(
      z.strictObject({
        exampleId: z.string().describe('The dataset example.'),
        flagged: z.boolean().describe('Whether the example counts towards the rate.'),
        detail: z.string().optional().describe('Why it was flagged (or not, for an abstention), in words.'),
      }),
    )
    .describe('The verdict on each example.'),
});

export const FidelitySchema = z.strictObject({
  reference: z
    .string()
    .describe('The reference variant (scoring.fidelityReference, else the fp32 variant) whose outputs on the same device this cell is compared with.'),
  distributions: z.number().int().describe("Distributions compared: one per classified example, or the first generated token's per generate example."),
  meanKlDivergence: z.number().describe('Mean KL(reference || this variant) of the softmax of the logits, in nats.'),
  top1Agreement: z.number().describe('Share of distributions whose argmax is the same in both.'),
  maxAbsLogitError: z.number().describe("Largest absolute difference between a logit and the reference's."),
  /** generate: share of examples whose generated tokens equal the reference's. */
  sequenceAgreement: z.number().optional().describe("generate: share of examples whose generated tokens equal the reference's."),
});

const Spread = z.strictObject({
  mean: z.number().describe('Mean over every scored token.'),
  median: z.number().describe('Median over every scored token (linear interpolation, as llama-perplexity).'),
  p99: z.number().describe('99th percentile over every scored token (llama-perplexity: fraction × (n − 1), linear interpolation).'),
  max: z.number().describe('Largest value of one token.'),
});

export const PerplexitySchema = z.strictObject({
  tokens: z.number().int().describe('Scored tokens: every corpus token after the first, each scored once, by the window that first sees it past the overlap.'),
  windows: z.number().int().describe('Windows of perplexity.context tokens the corpus was cut into, perplexity.stride apart.'),
  meanNll: z.number().describe('Mean negative log-likelihood of the scored tokens, in nats.'),
  value: z.number().describe('Perplexity: exp(meanNll).'),
  ci95: Interval.describe(
    '95% interval of the perplexity: exp(meanNll ± 1.96 · SE), SE the standard error of the mean NLL over tokens as llama-perplexity computes it (its "PPL ± PPL·SE" is the same delta method).',
  ),
  ci95Windows: Interval.optional().describe(
    '95% interval with windows as clusters (cluster-robust SE of the mean NLL): wider when neighbouring tokens are correlated; absent with one window.',
  ),
  method: z.string().describe('One line: how value and its intervals were computed.'),
  divergence: z
    .strictObject({
      reference: z.string().describe('The reference variant whose stored distributions the tokens are compared with.'),
      file: z
        .string()
        .describe('The stored reference distributions (top-k log-probabilities and the remaining mass per token), relative to the working directory.'),
      sha256: z.string().describe('sha256 of that file.'),
      topK: z.number().int().describe('Tokens stored per position; the rest are one bucket.'),
      meanTailMass: z.number().describe('Mean reference probability outside the stored top k: the mass the bound below concerns.'),
      bound: z.string().describe('What the top-k storage does to the KL divergence, in words.'),
      kld: Spread.describe('KL(reference ‖ this variant) per scored token in nats, over the top-k tokens and one tail bucket (a lower bound of the full KL).'),
      kldMeanSe: z.number().describe('Standard error of kld.mean over tokens (llama-perplexity "Mean KLD ± SE").'),
      sameTop1: z.number().describe("Share of scored tokens whose most probable next token is the reference's."),
      deltaP: z
        .strictObject({
          mean: z.number().describe('Mean Δp = q(token) − p(token), the change in probability of the actual next token (llama-perplexity "Mean Δp").'),
          rms: z.number().describe('Root mean square of Δp (llama-perplexity "RMS Δp").'),
          min: z.number().describe('Smallest Δp.'),
          p1: z.number().describe('1st percentile of Δp.'),
          p5: z.number().describe('5th percentile of Δp.'),
          p10: z.number().describe('10th percentile of Δp.'),
          median: z.number().describe('Median Δp.'),
          p90: z.number().describe('90th percentile of Δp.'),
          p95: z.number().describe('95th percentile of Δp.'),
          p99: z.number().describe('99th percentile of Δp.'),
          max: z.number().describe('Largest Δp.'),
        })
        .describe('Δp statistics, as llama-perplexity --kl-divergence prints them (as shares, not percent).'),
      definitions: z.string().describe('Where the definitions come from, and how they differ, in words.'),
    })
    .optional()
    .describe('Against the stored distributions of the reference variant; absent when the cell has none.'),
});
export type PerplexityScore = z.infer<typeof PerplexitySchema>;

const RouterPointSchema = z.strictObject({
  threshold: z.number().describe('A request stays on the device when its signal is at least this (at most, for entropy).'),
  localShare: z.number().describe('Share of examples kept on the device.'),
  cloudShare: z.number().describe('Share of examples forwarded to the cloud baseline.'),
  combinedAccuracy: z.number().describe('(on-device answers correct among those kept + cloud answers correct among those forwarded) / examples.'),
  localAccuracyOnKept: z.number().nullable().describe('Accuracy of the on-device model on the examples it keeps; null when it keeps none.'),
});

export const RouterSweepSchema = z.strictObject({
  signal: z
    .enum(['max-probability', 'entropy', 'logit-gap'])
    .describe('The confidence signal from the output logits that decides where a request goes (suite router.signal).'),
  targetAccuracy: z.number().describe('The combined accuracy the recommended point must reach (suite router.targetAccuracy).'),
  points: z
    .array(RouterPointSchema)
    .describe('The trade-off curve, simulated on the dataset, from all local (localShare 1) to all cloud (localShare 0); at most 200 points, evenly thinned.'),
  recommended: RouterPointSchema.nullable().describe('The point that meets targetAccuracy with the most requests kept local; null when none does.'),
  note: z.string().describe('The recommendation, or the best reachable accuracy, in words.'),
});

/** The scorers, each a file under harness/scoring/scorers/ and a row of harness/scoring/registry.ts. */
export const ScorerName = z.enum(['agreement', 'slots', 'hallucination', 'outOfDomain', 'fidelity', 'perplexity', 'router']);
export type ScorerName = z.infer<typeof ScorerName>;

/**
 * What a scorer reads about a cell, gathered once per cell before any scorer runs:
 * - answers: the variant's text answer per example;
 * - baselineAnswers: the baseline's answer per example (recorded, openai-compatible, or the reference variant's);
 * - labels: the expected label per example (the dataset's "label", else the baseline's answer);
 * - inputTexts: the dataset's "text" per example;
 * - outOfDomainSet: the examples whose expected label is one of classification.abstainLabels;
 * - referenceOutputs: the fidelity reference variant's outputs on the same device;
 * - logits: the class or first-token distribution per example;
 * - storedReference: the reference distributions a perplexity run scored its windows against (file, hash, k).
 */
export const ScorerInput = z.enum(['answers', 'baselineAnswers', 'labels', 'inputTexts', 'outOfDomainSet', 'referenceOutputs', 'logits', 'storedReference']);
export type ScorerInput = z.infer<typeof ScorerInput>;

/**
 * A scorer that could not run for this cell, and why (never a silent gap).
 * `missing` names the inputs that were not there; results written before it
 * existed have none, so it stays optional.
 */
export const Unscored = z.strictObject({
  scorer: ScorerName.describe('The scorer that could not run (a row of harness/scoring/registry.ts).'),
  reason: z.string().describe('Why it could not run, in words.'),
  missing: z
    .array(ScorerInput)
    .optional()
    .describe('The inputs it needed that this cell did not offer (harness/scoring/scorer-inputs.ts); absent in results written before it was recorded.'),
});
export type Unscored = z.infer<typeof Unscored>;

/** Quality of one cell against its baseline and its reference variant. */
export const Quality = z.strictObject({
  baseline: z
    .strictObject({
      provider: z.enum(['recorded', 'reference', 'openai-compatible']).describe('Where the baseline answers come from (suite baseline.provider).'),
      detail: z.string().describe('Which answers, in words: the dataset field, the reference variant and device, or the cloud model.'),
    })
    .optional()
    .describe('The answers agreement is scored against; absent when the suite has no baseline.'),
  agreement: AgreementScoreSchema.optional().describe("How often the answers agree with the baseline's, with a 95% interval."),
  slots: SlotScoreSchema.optional().describe(
    "scoring.slots call: slot F1 and intent accuracy of answers written as intent(slot=value, ...) against the baseline's.",
  ),
  hallucination: RateScoreSchema.optional().describe('scoring.hallucination extraction: share of outputs with a value that does not occur in the input.'),
  outOfDomain: RateScoreSchema.optional().describe(
    'With abstain labels: share of out-of-scope examples answered with an in-scope label instead of abstaining.',
  ),
  fidelity: FidelitySchema.optional().describe(
    "classify and generate: how closely the logits reproduce the reference variant's on the same device; absent on the reference itself.",
  ),
  embeddingCosine: z
    .strictObject({
      reference: z.string().describe('The reference variant.'),
      n: z.number().int().describe('Examples compared.'),
      mean: z.number().describe("Mean cosine similarity of the embedding vectors to the reference's."),
      min: z.number().describe('Lowest cosine similarity of one example.'),
    })
    .optional()
    .describe("embed: cosine similarity of each embedding to the reference variant's on the same device (0 when either vector is all zeros)."),
  perplexity: PerplexitySchema.optional().describe(
    'perplexity task: perplexity of the corpus with a 95% interval, and KL divergence, same top-1 and Δp against the stored reference distributions.',
  ),
  router: RouterSweepSchema.optional().describe(
    'With a suite router: the simulated hybrid router that keeps confident requests on the device and forwards the rest to the cloud baseline.',
  ),
  unscored: z.array(Unscored).describe('Scorers that could not run for this cell, and why (never a silent gap).'),
});
export type Quality = z.infer<typeof Quality>;
