import { z } from 'zod';

/** The GGUF quantizations `edgebench convert --to gguf` writes (llama.cpp's file types of the same names). */
export const GgufQuant = z.enum(['f16', 'q8_0', 'q4_0', 'q4_k_m']);
export type GgufQuant = z.infer<typeof GgufQuant>;

/** config.json of a Llama-architecture model: the hyperparameters a GGUF file states as llama.* keys. */
export const LlamaConfig = z.looseObject({
  model_type: z.string().optional(),
  architectures: z.array(z.string()).optional(),
  hidden_size: z.number().int().positive(),
  intermediate_size: z.number().int().positive(),
  num_hidden_layers: z.number().int().positive(),
  num_attention_heads: z.number().int().positive(),
  num_key_value_heads: z.number().int().positive().optional(),
  head_dim: z.number().int().positive().optional(),
  max_position_embeddings: z.number().int().positive().default(2048),
  rms_norm_eps: z.number().positive().default(1e-6),
  rope_theta: z.number().positive().default(10000),
  rope_scaling: z.unknown().optional(),
  vocab_size: z.number().int().positive(),
  tie_word_embeddings: z.boolean().default(false),
  hidden_act: z.string().default('silu'),
  attention_bias: z.boolean().default(false),
  bos_token_id: z.number().int().nullish(),
  eos_token_id: z.union([z.number().int(), z.array(z.number().int())]).nullish(),
});
export type LlamaConfig = z.infer<typeof LlamaConfig>;

/** What a GGUF file says about itself, read from its header (no tensor data). */
export const GgufDescription = z.strictObject({
  version: z.number().int(),
  architecture: z.string(),
  name: z.string().optional(),
  tensorCount: z.number().int().nonnegative(),
  contextLength: z.number().int().positive().optional(),
  /** ggml type name -> number of tensors of that type (F32, F16, Q8_0, Q4_K, ...). */
  tensorTypes: z.record(z.string(), z.number().int().positive()),
  /** llama.cpp's file type name from general.file_type, when the file states one. */
  fileType: z.string().optional(),
  parameters: z.number().int().nonnegative(),
});
export type GgufDescription = z.infer<typeof GgufDescription>;
