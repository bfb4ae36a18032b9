import { z } from 'zod';
import { GenaiConfig } from './model-config.ts';
import { Precision } from './suite.ts';

/** The layouts a model folder may hold, as the tools that write them lay them out. */
export const ModelFolderLayout = z.enum(['transformers.js', 'optimum-legacy', 'onnxruntime-genai']);
export type ModelFolderLayout = z.infer<typeof ModelFolderLayout>;

/** Precision as the graph shows it, with what showed it. */
export const GraphPrecision = z.strictObject({
  label: Precision,
  evidence: z.string().describe('What in the graph decided the label, e.g. "MatMulNBits bits=4 on 14 weights; float16 logits".'),
});
export type GraphPrecision = z.infer<typeof GraphPrecision>;

/** One variant found in a model folder. */
export const DiscoveredVariant = z.strictObject({
  name: z.string().describe('Named as the ecosystem names it: the file suffix (fp16, q4f16, ...), fp32 for the plain file.'),
  file: z.string().describe('The .onnx file, relative to the model folder.'),
  externalData: z.array(z.string()).describe('External data files the graph reads, relative to the folder of the .onnx file.'),
  precision: GraphPrecision,
  diskBytes: z.number().int().nonnegative(),
  inputs: z.array(z.string()),
  outputs: z.array(z.string()),
});
export type DiscoveredVariant = z.infer<typeof DiscoveredVariant>;

/** What a model folder holds: its layout, its variants (most precise first) and the files around them. */
export const ModelFolder = z.strictObject({
  folder: z.string(),
  layout: ModelFolderLayout,
  variants: z.array(DiscoveredVariant).min(1),
  /** The most precise variant: the default reference for fidelity. */
  reference: z.string(),
  tokenizer: z.string().optional().describe('tokenizer.json, relative to the model folder.'),
  genai: GenaiConfig.optional(),
  /** .onnx files of the folder that are not variants of the family (a decoder without past beside a merged one), relative to it. */
  skipped: z.array(z.strictObject({ file: z.string(), reason: z.string() })),
  warnings: z.array(z.string()),
});
export type ModelFolder = z.infer<typeof ModelFolder>;
