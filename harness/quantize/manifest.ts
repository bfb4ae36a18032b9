import { readFile, rename, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { Precision } from '../config/suite.ts';
import { VariantFile } from '../plan/model-variant.ts';
import { QuantizationSettings } from './settings.ts';

/**
 * Written next to every variant edgebench quantizes: what it is made of and how
 * it was made. A suite can name a variant by its manifest; the files are then
 * checked against these hashes before every run.
 */
export const VariantManifest = z.strictObject({
  schemaVersion: z.literal(1),
  tool: z.strictObject({ name: z.literal('edgebench'), version: z.string() }),
  createdAt: z.iso.datetime(),
  /** The .onnx file, relative to the manifest's folder. */
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
  layers: z.strictObject({ int8: z.array(z.string()), int4: z.array(z.string()), keptFloat: z.array(z.string()) }),
});
export type VariantManifest = z.infer<typeof VariantManifest>;

/** `model_q4.onnx` -> `model_q4.manifest.json`. */
export function manifestPathFor(modelFile: string): string {
  return modelFile.replace(/\.onnx$/, '') + '.manifest.json';
}

export async function writeManifest(file: string, manifest: VariantManifest): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(VariantManifest.parse(manifest), null, 2)}\n`);
  await rename(temp, file);
}

export async function readManifest(file: string): Promise<VariantManifest> {
  return VariantManifest.parse(JSON.parse(await readFile(file, 'utf8')));
}
