import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { z } from 'zod';
import { ConfigError } from '../config/errors.ts';
import { FILE_LIMITS, readBoundedFileSync } from '../config/read-bounded-file.ts';
import { GenaiConfig, GenerationConfig, HfModelConfig, type DecoderCacheLayout } from '../core/model-config.ts';

/** The configuration files of a model's folder, and what edgebench takes from them. */
export interface ModelConfig {
  /** The folder the files were read from: the model's own, or its parent for a transformers.js onnx/ subfolder. */
  folder: string | undefined;
  config?: HfModelConfig;
  generation?: GenerationConfig;
  /** Present only when genai_config.json names this model file as its decoder. */
  genai?: GenaiConfig;
  /** End-of-sequence ids: generation_config.json, else genai_config.json, else config.json. */
  eosTokenIds: number[];
  cache: DecoderCacheLayout;
}

const FILES = ['config.json', 'genai_config.json', 'generation_config.json'] as const;

/**
 * Reads config.json, genai_config.json and generation_config.json from the model file's folder, or from the
 * folder above when the model sits in an onnx/ subfolder (transformers.js) and its own folder has none.
 */
export function readModelConfig(modelPath: string): ModelConfig {
  const own = dirname(modelPath);
  const folder = [own, ...(basename(own) === 'onnx' ? [dirname(own)] : [])].find((dir) => FILES.some((file) => existsSync(join(dir, file))));
  if (!folder) return { folder, eosTokenIds: [], cache: {} };
  const config = readConfigFile(folder, 'config.json', HfModelConfig);
  const generation = readConfigFile(folder, 'generation_config.json', GenerationConfig);
  const genaiFile = readConfigFile(folder, 'genai_config.json', GenaiConfig);
  // A genai_config.json describes one decoder file: another .onnx in the folder (a second export) is not bound by its names.
  const genai = genaiFile && genaiFile.model.decoder.filename === basename(modelPath) ? genaiFile : undefined;
  const eos = generation?.eos_token_id ?? genai?.model.eos_token_id ?? config?.eos_token_id;
  return {
    folder,
    ...(config ? { config } : {}),
    ...(generation ? { generation } : {}),
    ...(genai ? { genai } : {}),
    eosTokenIds: eos === undefined || eos === null ? [] : Array.isArray(eos) ? eos : [eos],
    cache: genai ? genaiCache(genai) : configCache(config),
  };
}

function configCache(config: HfModelConfig | undefined): DecoderCacheLayout {
  if (!config) return {};
  const heads = config.num_attention_heads ?? config.n_head;
  const hidden = config.hidden_size ?? config.n_embd;
  const kvHeads = config.num_key_value_heads ?? heads;
  const headDim = config.head_dim ?? (heads && hidden ? hidden / heads : undefined);
  return { ...(kvHeads ? { kvHeads } : {}), ...(headDim && Number.isInteger(headDim) ? { headDim } : {}) };
}

function genaiCache(genai: GenaiConfig): DecoderCacheLayout {
  const { decoder } = genai.model;
  const { past_key_names: pastKey, past_value_names: pastValue } = decoder.inputs;
  const { present_key_names: presentKey, present_value_names: presentValue } = decoder.outputs;
  const heads = decoder.num_attention_heads;
  const headDim = decoder.head_size ?? (heads && decoder.hidden_size ? decoder.hidden_size / heads : undefined);
  const kvHeads = decoder.num_key_value_heads ?? heads;
  const shareLength = genai.search?.past_present_share_buffer ? (genai.search.max_length ?? genai.model.context_length) : undefined;
  return {
    ...(kvHeads ? { kvHeads } : {}),
    ...(headDim && Number.isInteger(headDim) ? { headDim } : {}),
    ...(pastKey && pastValue && presentKey && presentValue ? { names: { pastKey, pastValue, presentKey, presentValue } } : {}),
    ...(shareLength ? { sharedBufferLength: shareLength } : {}),
  };
}

function readConfigFile<T extends z.ZodType>(folder: string, name: string, schema: T): z.infer<T> | undefined {
  const path = join(folder, name);
  if (!existsSync(path)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(readBoundedFileSync(path, { what: 'model configuration file', maxBytes: FILE_LIMITS.manifest }).toString('utf8'));
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(path, undefined, `not valid JSON (${(error as Error).message})`, 'restore the file from the model repository');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(path, issue.path.join('.') || undefined, issue.message, 'restore the file from the model repository');
  }
  return parsed.data;
}
