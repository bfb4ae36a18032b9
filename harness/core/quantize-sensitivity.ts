import { z } from 'zod';
import { Int4Algorithm } from './quantization-settings.ts';

/** Where the next-token distributions a KL divergence is measured on came from. */
export const KldMeasurement = z.strictObject({
  source: z.string().describe("The calibration set: a suite's dataset or corpus file, or text sampled from the fp32 model."),
  sha256: z.string().optional().describe('sha256 of that file, when there is one.'),
  examples: z.number().int().positive().describe('Token windows (or dataset examples) run through both models.'),
  distributions: z.number().int().positive().describe('Next-token distributions (positions) the mean KL is taken over.'),
});
export type KldMeasurement = z.infer<typeof KldMeasurement>;

/** One layer quantized alone, every other layer kept float32. */
export const LayerSensitivity = z.strictObject({
  layer: z.string(),
  weight: z.string().describe("The layer's weight, or an embedding's table."),
  kind: z.enum(['matmul', 'embedding']).describe('A MatMul (or Gemm) layer, or an embedding Gather (with any head tied to its table).'),
  kld: z.number().nonnegative().describe('Mean KL(fp32 || variant) of the next-token distributions, in nats: what quantizing this layer alone adds.'),
  top1: z.number().min(0).max(1).describe('Share of positions whose most probable token is the same as fp32.'),
});
export type LayerSensitivity = z.infer<typeof LayerSensitivity>;

/** `<output>.sensitivity.json`: the layers of a model ranked by the KL divergence each adds, most first. */
export const SensitivityReport = z.strictObject({
  schemaVersion: z.literal(1),
  source: z.strictObject({ model: z.string(), sha256: z.string() }),
  to: z.enum(['int4', 'q4f16']),
  algorithm: Int4Algorithm,
  blockSize: z.number().int(),
  /** Where int4 embedding tables had blocks of their own size (--embedding-block-size). */
  embeddingBlockSize: z.number().int().optional(),
  symmetric: z.boolean(),
  measuredOn: KldMeasurement,
  layers: z.array(LayerSensitivity),
});
export type SensitivityReport = z.infer<typeof SensitivityReport>;

/** What `--budget-kld` chose: the layers moved off the target precision, in the order they were moved, and the KL met. */
export const KldBudgetRecord = z.strictObject({
  maxKld: z.number().positive(),
  measuredKld: z.number().nonnegative().describe('Mean KL(fp32 || this variant) measured on `measuredOn`.'),
  top1: z.number().min(0).max(1),
  fallback: z.enum(['int8', 'float']).describe('Where the moved layers went.'),
  moved: z.array(z.string()),
  measuredOn: KldMeasurement,
});
export type KldBudgetRecord = z.infer<typeof KldBudgetRecord>;
