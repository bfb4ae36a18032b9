import { z } from 'zod';

/** How int4 codes are chosen (`quantize --algorithm`). */
export const Int4Algorithm = z
  .enum(['rtn', 'gptq', 'gptaq', 'awq'])
  .describe(
    "How the int4 codes were chosen: rtn rounds to nearest; gptq compensates rounding error with the calibration Hessian, layer by layer in the order they compute; gptaq is gptq with each layer matched to the float model's output (GPTAQ); awq scales input channels by their calibration activation magnitude before rounding.",
  );
export type Int4Algorithm = z.infer<typeof Int4Algorithm>;

const Int8Settings = z.strictObject({
  to: z.literal('int8').describe('Quantized to int8.'),
  method: z
    .enum(['dynamic', 'qdq', 'static'])
    .describe(
      'dynamic: int8 weights, activations quantized at run time (MatMulInteger); qdq: QuantizeLinear/DequantizeLinear pairs around float operators; static: activation ranges fixed by calibration.',
    ),
  weights: z.literal('per-channel symmetric int8 (scale = max|w| / 127 per output column)').describe('How the weights were quantized.'),
  calibration: z
    .strictObject({
      method: z
        .enum(['minmax', 'percentile'])
        .describe(
          "minmax: each activation's range is its smallest to largest value on the calibration set; percentile: the (100 - p)th to pth percentile, which ignores rare outliers.",
        ),
      percentile: z.number().optional().describe('p for the percentile method, e.g. 99.99.'),
      dataset: z.string().describe('The calibration dataset file.'),
      datasetSha256: z.string().describe('sha256 of the calibration dataset.'),
      examples: z.number().int().describe('Calibration examples run through the float model.'),
    })
    .optional()
    .describe('static: the calibration that fixed the activation ranges.'),
});

const Int4Settings = z.strictObject({
  to: z.literal('int4').describe('Quantized to int4.'),
  operator: z.literal('com.microsoft MatMulNBits').describe('The onnxruntime contrib operator the int4 weights run in.'),
  blockSize: z.number().int().describe('Weights per quantization block along K, each block with its own scale.'),
  embeddingBlockSize: z
    .number()
    .int()
    .optional()
    .describe(
      'int4 embedding tables (and heads tied to them): values per block along the hidden dimension, where not blockSize (quantize --embedding-block-size).',
    ),
  symmetric: z.boolean().describe('true: no zero points (implicit 8); false: a zero point per block.'),
  accuracyLevel: z
    .number()
    .int()
    .min(0)
    .max(4)
    .describe('MatMulNBits accuracy_level: the lowest precision the activations may be computed in (0 unset, 1 fp32, 2 fp16, 3 bf16, 4 int8).'),
  /** Method used for layers kept at int8 (keepInt8 patterns). */
  int8Method: z.enum(['dynamic', 'qdq']).describe('Method used for layers kept at int8 (keepInt8 patterns).'),
  keepInt8: z.array(z.string()).describe('Patterns of layer names kept at int8 instead of int4.'),
  algorithm: Int4Algorithm.optional().describe(`${Int4Algorithm.description} Absent: rtn.`),
  calibration: z
    .strictObject({
      source: z.string().describe('The suite dataset or text corpus the activations came from.'),
      sha256: z.string().describe('sha256 of that file.'),
      examples: z.number().int().describe('Calibration sequences run through the float model.'),
    })
    .optional()
    .describe('gptq, gptaq and awq: the calibration activations.'),
  awqAlphas: z
    .record(z.string(), z.number())
    .optional()
    .describe('awq: the exponent alpha of the input-channel scales chosen for each int4 layer, by layer name (0: that layer is plain rtn).'),
});

const Q4f16Settings = Int4Settings.extend({
  to: z.literal('q4f16').describe('int4 MatMulNBits with float16 scales and activations, the rest in float16.'),
  keepIoTypes: z.boolean().describe('true: graph inputs and outputs stay float32 behind Casts.'),
});

const Fp16Settings = z.strictObject({
  to: z.literal('fp16').describe('Weights and compute in float16.'),
  keepIoTypes: z.boolean().describe('true: graph inputs and outputs stay float32 behind Casts.'),
});

const GgufSettings = z.strictObject({
  to: z.literal('gguf').describe('Converted to a GGUF file for llama.cpp (edgebench convert --to gguf).'),
  quant: z.enum(['f16', 'q8_0', 'q4_0', 'q4_k_m']).describe("llama.cpp's file type: the base ggml type of the weights, before its per-tensor rules."),
  tensorTypes: z.record(z.string(), z.string()).describe('The ggml type of every tensor, by GGUF tensor name (F32, F16, Q8_0, Q4_0, Q5_0, Q4_K, Q6_K).'),
});

/** Exactly how a variant was quantized; recorded in its manifest and carried into results. */
export const QuantizationSettings = z.discriminatedUnion('to', [Int8Settings, Int4Settings, Q4f16Settings, Fp16Settings, GgufSettings]);
export type QuantizationSettings = z.infer<typeof QuantizationSettings>;
