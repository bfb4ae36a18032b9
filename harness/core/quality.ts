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

/** A scorer that could not run for this cell, and why (never a silent gap). */
const Unscored = z.strictObject({ scorer: z.string(), reason: z.string() });

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
