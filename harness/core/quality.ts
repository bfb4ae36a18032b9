import { z } from 'zod';

const Interval = z.strictObject({ lower: z.number(), upper: z.number() });

export const AgreementScoreSchema = z.strictObject({
  metric: z.enum(['accuracy', 'exact-match', 'token-f1']),
  n: z.number().int(),
  value: z.number(),
  ci95: Interval,
  method: z.string(),
  perExample: z.array(z.strictObject({ exampleId: z.string(), score: z.number() })),
});

export const RateScoreSchema = z.strictObject({
  n: z.number().int(),
  count: z.number().int(),
  rate: z.number(),
  ci95: Interval,
  definition: z.string(),
  perExample: z.array(z.strictObject({ exampleId: z.string(), flagged: z.boolean(), detail: z.string().optional() })),
});

export const FidelitySchema = z.strictObject({
  reference: z.string(),
  distributions: z.number().int(),
  meanKlDivergence: z.number(),
  top1Agreement: z.number(),
  maxAbsLogitError: z.number(),
  /** generate: share of examples whose generated tokens equal the reference's. */
  sequenceAgreement: z.number().optional(),
});

const RouterPointSchema = z.strictObject({
  threshold: z.number(),
  localShare: z.number(),
  cloudShare: z.number(),
  combinedAccuracy: z.number(),
  localAccuracyOnKept: z.number().nullable(),
});

export const RouterSweepSchema = z.strictObject({
  signal: z.enum(['max-probability', 'entropy', 'logit-gap']),
  targetAccuracy: z.number(),
  points: z.array(RouterPointSchema),
  recommended: RouterPointSchema.nullable(),
  note: z.string(),
});

/** The scorers, each a file under harness/scoring/scorers/ and a row of harness/scoring/registry.ts. */
export const ScorerName = z.enum(['agreement', 'hallucination', 'outOfDomain', 'fidelity', 'router']);
export type ScorerName = z.infer<typeof ScorerName>;

/**
 * What a scorer reads about a cell, gathered once per cell before any scorer runs:
 * - answers: the variant's text answer per example;
 * - baselineAnswers: the baseline's answer per example (recorded, openai-compatible, or the reference variant's);
 * - labels: the expected label per example (the dataset's "label", else the baseline's answer);
 * - inputTexts: the dataset's "text" per example;
 * - outOfDomainSet: the examples whose expected label is one of classification.abstainLabels;
 * - referenceOutputs: the fidelity reference variant's outputs on the same device;
 * - logits: the class or first-token distribution per example.
 */
export const ScorerInput = z.enum(['answers', 'baselineAnswers', 'labels', 'inputTexts', 'outOfDomainSet', 'referenceOutputs', 'logits']);
export type ScorerInput = z.infer<typeof ScorerInput>;

/**
 * A scorer that could not run for this cell, and why (never a silent gap).
 * `missing` names the inputs that were not there; results written before it
 * existed have none, so it stays optional.
 */
export const Unscored = z.strictObject({ scorer: ScorerName, reason: z.string(), missing: z.array(ScorerInput).optional() });
export type Unscored = z.infer<typeof Unscored>;

/** Quality of one cell against its baseline and its reference variant. */
export const Quality = z.strictObject({
  baseline: z.strictObject({ provider: z.enum(['recorded', 'reference', 'openai-compatible']), detail: z.string() }).optional(),
  agreement: AgreementScoreSchema.optional(),
  hallucination: RateScoreSchema.optional(),
  outOfDomain: RateScoreSchema.optional(),
  fidelity: FidelitySchema.optional(),
  embeddingCosine: z.strictObject({ reference: z.string(), n: z.number().int(), mean: z.number(), min: z.number() }).optional(),
  router: RouterSweepSchema.optional(),
  unscored: z.array(Unscored),
});
export type Quality = z.infer<typeof Quality>;
