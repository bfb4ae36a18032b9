import { z } from 'zod';

const Int8Settings = z.strictObject({
  to: z.literal('int8'),
  method: z.enum(['dynamic', 'qdq', 'static']),
  weights: z.literal('per-channel symmetric int8 (scale = max|w| / 127 per output column)'),
  calibration: z
    .strictObject({
      method: z.enum(['minmax', 'percentile']),
      percentile: z.number().optional(),
      dataset: z.string(),
      datasetSha256: z.string(),
      examples: z.number().int(),
    })
    .optional(),
});

const Int4Settings = z.strictObject({
  to: z.literal('int4'),
  operator: z.literal('com.microsoft MatMulNBits'),
  blockSize: z.number().int(),
  symmetric: z.boolean(),
  accuracyLevel: z.number().int().min(0).max(4),
  /** Method used for layers kept at int8 (keepInt8 patterns). */
  int8Method: z.enum(['dynamic', 'qdq']),
  keepInt8: z.array(z.string()),
});

/** Exactly how a variant was quantized; recorded in its manifest and carried into results. */
export const QuantizationSettings = z.discriminatedUnion('to', [Int8Settings, Int4Settings]);
export type QuantizationSettings = z.infer<typeof QuantizationSettings>;
