import { z } from 'zod';
import { Precision } from '../config/suite.ts';
import { QuantizationSettings } from '../quantize/settings.ts';

export const VariantFile = z.strictObject({
  /** Relative to the folder of the .onnx file. */
  path: z.string(),
  bytes: z.number().int().nonnegative(),
  sha256: z.string(),
});

/** A model variant as found on disk: every file it needs, with sizes and hashes. */
export const ModelVariant = z.strictObject({
  name: z.string(),
  precision: Precision,
  /** The .onnx file, relative to the working directory. */
  file: z.string(),
  files: z.array(VariantFile).min(1),
  diskBytes: z.number().int().nonnegative(),
  /** sha256 over "<file sha256>  <path>" lines of all files, sorted by path (sha256sum's format). */
  sha256: z.string(),
  /** For variants made by edgebench quantize: the manifest, the source model and the settings. */
  provenance: z
    .strictObject({ manifest: z.string(), sourceModel: z.string(), sourceSha256: z.string(), quantization: QuantizationSettings })
    .optional(),
});
export type ModelVariant = z.infer<typeof ModelVariant>;
