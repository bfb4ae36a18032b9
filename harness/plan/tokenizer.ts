import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { ConfigError } from '../config/errors.ts';

export interface TextTokenizer {
  file: string;
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
  /** End-of-sequence ids from generation_config.json / config.json / tokenizer_config.json beside tokenizer.json. */
  eosTokenIds: number[];
}

/** The usual places: beside the model, or one folder up (the Hugging Face layout keeps weights in onnx/). */
export function findTokenizerFile(modelPath: string): string | undefined {
  return [join(dirname(modelPath), 'tokenizer.json'), join(dirname(modelPath), '..', 'tokenizer.json')].find((f) => existsSync(f));
}

/** Loads a Hugging Face tokenizer.json (and tokenizer_config.json when present) with the tokenizers.js library. */
export function loadTokenizer(file: string, referencedFrom: string): TextTokenizer {
  const folder = dirname(file);
  const readJson = (name: string): Record<string, unknown> | undefined => {
    const path = join(folder, name);
    if (!existsSync(path)) return undefined;
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new ConfigError(path, undefined, `not valid JSON (${(error as Error).message})`, 'restore the file from the model repository');
    }
  };
  if (!existsSync(file)) throw new ConfigError(referencedFrom, 'generation.tokenizer', `tokenizer ${file} not found`, 'point generation.tokenizer at the model\'s tokenizer.json');
  const config = readJson('tokenizer_config.json') ?? {};
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(readJson('tokenizer.json')!, config);
  } catch (error) {
    throw new ConfigError(file, undefined, `cannot load the tokenizer (${(error as Error).message})`, 'use a tokenizer.json saved by Hugging Face tokenizers or transformers');
  }
  const eos = readJson('generation_config.json')?.eos_token_id ?? readJson('config.json')?.eos_token_id;
  const eosFromConfig = typeof config.eos_token === 'string' ? tokenizer.token_to_id(config.eos_token) : undefined;
  const eosTokenIds = (Array.isArray(eos) ? eos : eos !== undefined ? [eos] : eosFromConfig !== undefined ? [eosFromConfig] : []).map(Number);
  return {
    file,
    encode: (text) => tokenizer.encode(text, { add_special_tokens: true }).ids,
    decode: (ids) => tokenizer.decode([...ids], { skip_special_tokens: true }),
    eosTokenIds,
  };
}
