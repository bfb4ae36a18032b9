import { z } from 'zod';
import { Precision } from './suite.ts';
import { QuantizationSettings } from './quantization-settings.ts';

export const VariantFile = z.strictObject({
  /** Relative to the folder of the .onnx file. */
  path: z.string().describe("The file's path, relative to the folder of the .onnx file."),
  bytes: z.number().int().nonnegative().describe('Its size in bytes (stat).'),
  sha256: z.string().describe('sha256 of its bytes, hex.'),
});

/** A model variant as found on disk: every file it needs, with sizes and hashes. */
export const ModelVariant = z.strictObject({
  name: z.string().describe('The variant\'s name in the suite, e.g. "int8".'),
  /** Absent only for a variant whose model could not be read and whose suite entry names no precision. */
  precision: Precision.optional().describe('Numeric precision of the weights: from the suite entry, or the quantization manifest.'),
  /** The .onnx file, relative to the working directory. */
  file: z.string().describe('The .onnx file, relative to the working directory.'),
  /** Empty for a variant whose model could not be read (its cells record why). */
  files: z
    .array(VariantFile)
    .describe(
      'Every file the variant needs: the .onnx file and the external data files it references. Empty for a variant whose model could not be read (its cells record why).',
    ),
  diskBytes: z.number().int().nonnegative().describe("Sum of the files' sizes in bytes."),
  /** sha256 over "<file sha256>  <path>" lines of all files, sorted by path (sha256sum's format). */
  sha256: z
    .string()
    .describe(
      'sha256 over "<file sha256>  <path>" lines of all files, sorted by path (sha256sum\'s format); "unavailable" when the model could not be read. The files are checked against it before every runner process.',
    ),
  /** The bundle signature, when the suite checks signatures: by which trusted key, or why it failed. */
  signature: z
    .union([
      z.strictObject({
        verified: z.literal(true).describe('The bundle signature is valid.'),
        keyId: z.string().describe('sha256 of the trusted public key that signed it, hex.'),
      }),
      z.strictObject({ verified: z.literal(false).describe('The signature is missing or invalid.'), reason: z.string().describe('Why it failed.') }),
    ])
    .optional()
    .describe('The bundle signature, when the suite checks signatures: by which trusted key, or why it failed.'),
  /** For variants made by edgebench quantize: the manifest, the source model and the settings. */
  provenance: z
    .strictObject({
      manifest: z.string().describe('The manifest edgebench quantize wrote, relative to the working directory.'),
      sourceModel: z.string().describe('The float model it was quantized from, as the manifest names it.'),
      sourceSha256: z.string().describe('sha256 of the source model, from the manifest.'),
      quantization: QuantizationSettings.describe('Exactly how it was quantized.'),
    })
    .optional()
    .describe('For variants made by edgebench quantize: the manifest, the source model and the settings.'),
});
export type ModelVariant = z.infer<typeof ModelVariant>;
