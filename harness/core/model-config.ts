import { z } from 'zod';

/**
 * The configuration files a Hugging Face or onnxruntime-genai model folder
 * carries beside its ONNX graph, as far as edgebench reads them. Unknown keys
 * are kept: the files hold far more than these fields.
 */

const TokenIds = z.union([z.number().int().nonnegative(), z.array(z.number().int().nonnegative())]);

/** config.json (transformers): attention shape and special tokens. GPT-2 names its fields n_head / n_embd. */
export const HfModelConfig = z.looseObject({
  model_type: z.string().optional(),
  num_attention_heads: z.number().int().positive().optional(),
  num_key_value_heads: z.number().int().positive().optional(),
  head_dim: z.number().int().positive().optional(),
  hidden_size: z.number().int().positive().optional(),
  n_head: z.number().int().positive().optional(),
  n_embd: z.number().int().positive().optional(),
  eos_token_id: TokenIds.nullish(),
  bos_token_id: TokenIds.nullish(),
});
export type HfModelConfig = z.infer<typeof HfModelConfig>;

/** generation_config.json (transformers): the tokens generation stops at. */
export const GenerationConfig = z.looseObject({
  eos_token_id: TokenIds.nullish(),
  bos_token_id: TokenIds.nullish(),
  max_length: z.number().int().positive().optional(),
});
export type GenerationConfig = z.infer<typeof GenerationConfig>;

/**
 * genai_config.json, as the onnxruntime-genai model builder writes it: the
 * decoder's file, input/output names, KV cache shape and search settings.
 */
export const GenaiConfig = z.looseObject({
  model: z.looseObject({
    type: z.string().optional(),
    eos_token_id: TokenIds.optional(),
    bos_token_id: TokenIds.optional(),
    pad_token_id: z.number().int().optional(),
    vocab_size: z.number().int().optional(),
    context_length: z.number().int().positive().optional(),
    decoder: z.looseObject({
      filename: z.string().min(1).default('model.onnx'),
      num_attention_heads: z.number().int().positive().optional(),
      num_key_value_heads: z.number().int().positive().optional(),
      num_hidden_layers: z.number().int().positive().optional(),
      head_size: z.number().int().positive().optional(),
      hidden_size: z.number().int().positive().optional(),
      inputs: z.record(z.string(), z.string()).default({}),
      outputs: z.record(z.string(), z.string()).default({}),
    }),
  }),
  search: z
    .looseObject({
      max_length: z.number().int().positive().optional(),
      do_sample: z.boolean().optional(),
      num_beams: z.number().int().positive().optional(),
      top_k: z.number().int().optional(),
      top_p: z.number().optional(),
      temperature: z.number().optional(),
      past_present_share_buffer: z.boolean().optional(),
    })
    .optional(),
});
export type GenaiConfig = z.infer<typeof GenaiConfig>;

/** A past or present tensor name per layer: %d stands for the layer number (genai_config.json's form). */
const LayerNamePattern = z.string().regex(/%d/, 'a name pattern holds %d for the layer number');

/**
 * What the generate task's runner needs to know about a decoder's KV cache
 * beyond what the graph declares: read on the plan side from the model's
 * folder, because the runner may run where those files are not.
 */
export const DecoderCacheLayout = z
  .strictObject({
    kvHeads: z.number().int().positive().optional().describe('KV heads of each past input, for graphs that name that dimension symbolically.'),
    headDim: z.number().int().positive().optional().describe('Size of each head, for graphs that name that dimension symbolically.'),
    names: z
      .strictObject({ pastKey: LayerNamePattern, pastValue: LayerNamePattern, presentKey: LayerNamePattern, presentValue: LayerNamePattern })
      .optional()
      .describe('Past and present names with %d for the layer; default past_key_values.%d.key/value and present.%d.key/value.'),
    sharedBufferLength: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('onnxruntime-genai past_present_share_buffer: past tensors are allocated at this length (search.max_length) from the first step.'),
  })
  .describe("The decoder's KV cache layout, from config.json or genai_config.json beside the model.");
export type DecoderCacheLayout = z.infer<typeof DecoderCacheLayout>;
