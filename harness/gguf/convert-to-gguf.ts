import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ConfigError } from '../config/errors.ts';
import { readBoundedFileSync } from '../config/read-bounded-file.ts';
import { LlamaConfig, type GgufQuant } from '../core/gguf.ts';
import { codecs } from './codecs.ts';
import type { GgmlType } from './ggml-types.ts';
import { writeGguf, type GgufTensor, type MetadataValue } from './gguf-file.ts';
import { llamaWeightsFromOnnx, permuteForRope, type LlamaWeights } from './llama-onnx-weights.ts';
import { FILE_TYPES, tensorType } from './quant-mix.ts';
import { tokenizerMetadata } from './tokenizer-metadata.ts';

export interface ConvertToGgufOptions {
  /** An fp32 .onnx file, or a model folder holding onnx/model.onnx or model.onnx. */
  input: string;
  quant: GgufQuant;
  output?: string;
}

export interface ConvertedGguf {
  file: string;
  sourceModel: string;
  bytes: number;
  /** ggml type name -> tensors of that type. */
  tensorTypes: Record<string, number>;
}

const MODEL_CANDIDATES = ['onnx/model.onnx', 'model.onnx', 'decoder_model.onnx'];

/** The fp32 .onnx file a convert input names, and the folder its config.json and tokenizer.json are in. */
export function resolveConvertInput(input: string): { model: string; folder: string } {
  const isFolder = existsSync(input) && statSync(input).isDirectory();
  const model = isFolder ? MODEL_CANDIDATES.map((c) => join(input, c)).find((c) => existsSync(c)) : input;
  if (!model) {
    throw new ConfigError('command line', '<model>', `${input} holds none of ${MODEL_CANDIDATES.join(', ')}`, 'name the fp32 .onnx file itself');
  }
  const own = dirname(model);
  const folder = [own, ...(basename(own) === 'onnx' ? [dirname(own)] : [])].find((dir) => existsSync(join(dir, 'config.json')));
  if (!folder) throw new ConfigError('command line', '<model>', `no config.json beside ${model}`, 'GGUF conversion reads the hyperparameters from config.json');
  return { model, folder };
}

/**
 * Writes a GGUF v3 file of a Llama-architecture ONNX model: the llama.*
 * hyperparameter keys from config.json, the tokenizer.ggml.* keys from
 * tokenizer.json, and every weight under its GGUF name in the type the
 * quantization gives it (quant-mix.ts), Q and K rows permuted for llama.cpp's RoPE.
 */
export async function convertToGguf(options: ConvertToGgufOptions): Promise<ConvertedGguf> {
  const { model, folder } = resolveConvertInput(options.input);
  const config = readLlamaConfig(join(folder, 'config.json'));
  const weights = await llamaWeightsFromOnnx(model, config);
  const tokenizerFile = join(folder, 'tokenizer.json');
  if (!existsSync(tokenizerFile)) throw new ConfigError('command line', '<model>', `no tokenizer.json in ${folder}`, 'GGUF files carry their tokenizer');
  const vocabularySize = weights.get('token_embd.weight')!.shape[0]!;
  const eos = Array.isArray(config.eos_token_id) ? config.eos_token_id[0] : config.eos_token_id;
  const metadata = new Map<string, MetadataValue>([
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['general.name', { type: 'string', value: basename(folder) }],
    ['general.file_type', { type: 'uint32', value: FILE_TYPES[options.quant] }],
    ['general.quantization_version', { type: 'uint32', value: 2 }],
    ...llamaHyperparameters(config, vocabularySize),
    ...tokenizerMetadata(JSON.parse(await readFile(tokenizerFile, 'utf8')), vocabularySize, {
      ...(config.bos_token_id != null ? { bos: config.bos_token_id } : {}),
      ...(eos != null ? { eos } : {}),
    }),
  ]);
  const tensors = ggufTensors(weights, config, options.quant);
  const file = options.output ?? join(dirname(model), `model_${options.quant}.gguf`);
  const bytes = await writeGguf(file, { metadata, tensors });
  const tensorTypes: Record<string, number> = {};
  for (const t of tensors) tensorTypes[t.type] = (tensorTypes[t.type] ?? 0) + 1;
  return { file, sourceModel: model, bytes, tensorTypes };
}

function readLlamaConfig(file: string): LlamaConfig {
  const raw = JSON.parse(readBoundedFileSync(file, { what: 'config.json', maxBytes: 16 * 1024 * 1024 }).toString('utf8')) as { model_type?: string };
  if (raw.model_type !== 'llama') {
    throw new ConfigError(
      file,
      'model_type',
      `the model is ${raw.model_type ?? 'of no stated architecture'}: edgebench convert --to gguf writes Llama-architecture models (model_type "llama")`,
      'convert a Llama-architecture model, or bring a GGUF file made by llama.cpp',
    );
  }
  const parsed = LlamaConfig.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(file, issue.path.join('.'), issue.message, 'config.json must state the Llama hyperparameters');
  }
  const config = parsed.data;
  const unsupported = [
    config.hidden_act !== 'silu' ? `hidden_act ${config.hidden_act}` : '',
    config.attention_bias ? 'attention_bias' : '',
    config.rope_scaling ? 'rope_scaling' : '',
  ].filter(Boolean);
  if (unsupported.length > 0) throw new ConfigError(file, 'config', `GGUF conversion does not write ${unsupported.join(', ')}`, 'convert a plain Llama model');
  return config;
}

/** The llama.* keys llama.cpp reads for LLM_ARCH_LLAMA (gguf-py's Keys.LLM, Keys.Attention, Keys.Rope). */
function llamaHyperparameters(config: LlamaConfig, vocabularySize: number): [string, MetadataValue][] {
  const headDim = config.head_dim ?? config.hidden_size / config.num_attention_heads;
  const u32 = (value: number): MetadataValue => ({ type: 'uint32', value });
  const f32 = (value: number): MetadataValue => ({ type: 'float32', value });
  return [
    ['llama.vocab_size', u32(vocabularySize)],
    ['llama.context_length', u32(config.max_position_embeddings)],
    ['llama.embedding_length', u32(config.hidden_size)],
    ['llama.block_count', u32(config.num_hidden_layers)],
    ['llama.feed_forward_length', u32(config.intermediate_size)],
    ['llama.attention.head_count', u32(config.num_attention_heads)],
    ['llama.attention.head_count_kv', u32(config.num_key_value_heads ?? config.num_attention_heads)],
    ['llama.attention.key_length', u32(headDim)],
    ['llama.attention.value_length', u32(headDim)],
    ['llama.attention.layer_norm_rms_epsilon', f32(config.rms_norm_eps)],
    ['llama.rope.dimension_count', u32(headDim)],
    ['llama.rope.freq_base', f32(config.rope_theta)],
  ];
}

/** Every weight in its GGUF type and layout: dims reversed to ne order, Q and K permuted for RoPE. */
function ggufTensors(weights: LlamaWeights, config: LlamaConfig, quant: GgufQuant): GgufTensor[] {
  const hasOutput = weights.has('output.weight');
  const tensors: GgufTensor[] = [];
  for (const [name, weight] of weights) {
    let hf = weight;
    if (name.endsWith('.attn_q.weight')) hf = permuteForRope(weight, config.num_attention_heads);
    if (name.endsWith('.attn_k.weight')) hf = permuteForRope(weight, config.num_key_value_heads ?? config.num_attention_heads);
    const dims = [...hf.shape].reverse();
    const type: GgmlType = tensorType(quant, { name, dims }, config.num_hidden_layers, hasOutput);
    tensors.push({ name, dims, type, data: codecs[type].quantize(hf.values) });
  }
  return tensors;
}
