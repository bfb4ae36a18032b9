import { z } from 'zod';
import { ConfigError, formatFieldPath } from '../config/errors.ts';
import { FILE_LIMITS, readBoundedFile } from '../config/read-bounded-file.ts';
import { Precision } from '../core/suite.ts';
import { VariantFile } from '../core/model-variant.ts';
import { QuantizationSettings } from '../core/quantization-settings.ts';
import { KldBudgetRecord } from '../core/quantize-sensitivity.ts';
import { atomicWrite } from '../files/atomic-write.ts';

/**
 * Written next to every variant edgebench quantizes: what it is made of and how
 * it was made. A suite can name a variant by its manifest; the files are then
 * checked against these hashes before every run.
 */
export const VariantManifest = z.strictObject({
  schemaVersion: z.literal(1),
  tool: z.strictObject({ name: z.literal('edgebench'), version: z.string() }),
  createdAt: z.iso.datetime(),
  /** The .onnx or .gguf file, relative to the manifest's folder. */
  model: z.string(),
  precision: Precision,
  files: z.array(VariantFile).min(1),
  diskBytes: z.number().int().nonnegative(),
  sha256: z.string(),
  source: z.strictObject({ model: z.string(), sha256: z.string(), diskBytes: z.number().int().nonnegative() }),
  quantization: QuantizationSettings,
  /** Patterns of layers kept in float, as given. */
  exclude: z.array(z.string()),
  /** Which MatMul layers ended up in which precision. */
  layers: z.strictObject({
    int8: z.array(z.string()),
    int4: z.array(z.string()),
    keptFloat: z.array(z.string()),
    /** Gather layers reading a block-quantized table (GatherBlockQuantized). */
    embeddings: z.array(z.string()).optional(),
    /** Output heads that share their embedding's quantized table. */
    tiedHeads: z.array(z.string()).optional(),
  }),
  /** `--budget-kld`: the layers moved off the target precision to meet the KL budget, and the KL measured. */
  kldBudget: KldBudgetRecord.optional(),
});
export type VariantManifest = z.infer<typeof VariantManifest>;

/** `model_q4.onnx` -> `model_q4.manifest.json`; `model_q4_k_m.gguf` -> `model_q4_k_m.manifest.json`. */
export function manifestPathFor(modelFile: string): string {
  return modelFile.replace(/\.(onnx|gguf)$/, '') + '.manifest.json';
}

export async function writeManifest(file: string, manifest: VariantManifest): Promise<void> {
  await atomicWrite(file, `${JSON.stringify(VariantManifest.parse(manifest), null, 2)}\n`);
}

/**
 * Reads a quantize manifest. A damaged one is a ConfigError naming the
 * manifest and what is wrong in it; a missing one keeps its ENOENT, for
 * callers to say where it was expected.
 */
export async function readManifest(file: string): Promise<VariantManifest> {
  const text = (await readBoundedFile(file, { what: 'quantize manifest', maxBytes: FILE_LIMITS.manifest })).toString('utf8');
  const fix = 'the manifest is damaged: restore it, or run edgebench quantize again to rewrite it with the variant';
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(file, undefined, `the quantize manifest is not valid JSON (${(error as Error).message})`, fix);
  }
  const parsed = VariantManifest.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const more = parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more problem(s))` : '';
    throw new ConfigError(file, undefined, `not a valid edgebench quantize manifest: ${formatFieldPath(issue.path)}: ${issue.message}${more}`, fix);
  }
  return parsed.data;
}
