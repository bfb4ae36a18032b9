import { z } from 'zod';
import { Precision } from './suite.ts';
import { QuantizationSettings } from './quantization-settings.ts';

export const VariantFile = z.strictObject({
  /** Relative to the folder of the .onnx file. */
  path: z.string(),
  bytes: z.number().int().nonnegative(),
  sha256: z.string(),
});

/** A model variant as found on disk: every file it needs, with sizes and hashes. */
export const ModelVariant = z.strictObject({
  name: z.string(),
  /** Absent only for a variant whose model could not be read and whose suite entry names no precision. */
  precision: Precision.optional(),
  /** The .onnx file, relative to the working directory. */
  file: z.string(),
  /** Empty for a variant whose model could not be read (its cells record why). */
  files: z.array(VariantFile),
  diskBytes: z.number().int().nonnegative(),
  /** sha256 over "<file sha256>  <path>" lines of all files, sorted by path (sha256sum's format). */
  sha256: z.string(),
  /** The bundle signature, when the suite checks signatures: by which trusted key, or why it failed. */
  signature: z.union([z.strictObject({ verified: z.literal(true), keyId: z.string() }), z.strictObject({ verified: z.literal(false), reason: z.string() })]).optional(),
  /** For variants made by edgebench quantize: the manifest, the source model and the settings. */
  provenance: z
    .strictObject({ manifest: z.string(), sourceModel: z.string(), sourceSha256: z.string(), quantization: QuantizationSettings })
    .optional(),
});
export type ModelVariant = z.infer<typeof ModelVariant>;
