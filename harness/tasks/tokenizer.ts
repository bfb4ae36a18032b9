import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { ConfigError } from '../config/errors.ts';
import { readBoundedFileSync } from '../config/read-bounded-file.ts';
import { chatTemplateSource, SPECIAL_TOKEN_NAMES, specialTokenText, type SpecialTokens } from './chat-template.ts';

export interface TextTokenizer {
  file: string;
  /** With the tokenizer's post-processor (special tokens such as BOS) unless addSpecialTokens is false, as tokenizer(text) does. */
  encode(text: string, options?: { addSpecialTokens?: boolean }): number[];
  /** The text of generated ids; '' for none (a generation that stopped at once). */
  decode(ids: readonly number[]): string;
  /** Every end-of-sequence id the model's configs declare: generation stops at any of them. */
  eosTokenIds: number[];
  bosTokenId?: number;
  /** encode() puts BOS first by itself: the tokenizer's post-processor adds it. */
  postProcessorAddsBos: boolean;
  /** tokenizer_config.json's add_bos_token: the tokenizer is meant to start every sequence with BOS. */
  addBosToken: boolean;
  /** The special-token strings tokenizer_config.json names, for the chat template. */
  specialTokens: SpecialTokens;
  /** tokenizer_config.json's chat_template (or chat_template.jinja beside it). */
  chatTemplate?: string;
}

/** The usual places: beside the model, or one folder up (the Hugging Face layout keeps weights in onnx/). */
export function findTokenizerFile(modelPath: string): string | undefined {
  return [join(dirname(modelPath), 'tokenizer.json'), join(dirname(modelPath), '..', 'tokenizer.json')].find((f) => existsSync(f));
}

/**
 * Loads a Hugging Face tokenizer.json with the tokenizers.js library, and what
 * the files beside it say about prompts: tokenizer_config.json (chat template,
 * special tokens), generation_config.json, config.json and genai_config.json
 * (bos/eos ids).
 */
export function loadTokenizer(file: string, referencedFrom: string): TextTokenizer {
  const folder = dirname(file);
  const readJson = (name: string): Record<string, unknown> | undefined => {
    const path = join(folder, name);
    if (!existsSync(path)) return undefined;
    // Any size (tokenizers of large vocabularies run to tens of MB), but a regular file: a FIFO or a device would never end.
    try {
      return JSON.parse(readBoundedFileSync(path, { what: 'tokenizer file' }).toString('utf8')) as Record<string, unknown>;
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      throw new ConfigError(path, undefined, `not valid JSON (${(error as Error).message})`, 'restore the file from the model repository');
    }
  };
  if (!existsSync(file))
    throw new ConfigError(referencedFrom, 'generation.tokenizer', `tokenizer ${file} not found`, "point generation.tokenizer at the model's tokenizer.json");
  const config = readJson('tokenizer_config.json') ?? {};
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(readJson('tokenizer.json')!, config);
  } catch (error) {
    throw new ConfigError(
      file,
      undefined,
      `cannot load the tokenizer (${(error as Error).message})`,
      'use a tokenizer.json saved by Hugging Face tokenizers or transformers',
    );
  }
  const specialTokens: SpecialTokens = {};
  for (const name of SPECIAL_TOKEN_NAMES) {
    const text = specialTokenText(config[name]);
    if (text !== undefined) specialTokens[name] = text;
  }
  const idOf = (text: string | undefined) => (text === undefined ? undefined : tokenizer.token_to_id(text));
  const modelConfigs = [
    readJson('generation_config.json'),
    readJson('config.json'),
    readJson('genai_config.json')?.model as Record<string, unknown> | undefined,
  ];
  const declaredIds = (field: string) => modelConfigs.flatMap((c) => tokenIds(c?.[field]));

  // Several files, several stop ids (Llama 3: <|end_of_text|> and <|eot_id|>; Phi-3: three): generation stops at any of them.
  const eosTokenIds = [...new Set([...declaredIds('eos_token_id'), ...tokenIds(idOf(specialTokens.eos_token))])];
  const bosTokenId = idOf(specialTokens.bos_token) ?? declaredIds('bos_token_id')[0];
  const encode = (text: string, addSpecialTokens: boolean) => tokenizer.encode(text, { add_special_tokens: addSpecialTokens }).ids;
  return {
    file,
    encode: (text, options) => encode(text, options?.addSpecialTokens ?? true),
    // The tokenizers library throws on an empty list.
    decode: (ids) => (ids.length === 0 ? '' : tokenizer.decode([...ids], { skip_special_tokens: true })),
    eosTokenIds,
    ...(bosTokenId !== undefined ? { bosTokenId } : {}),
    postProcessorAddsBos: bosTokenId !== undefined && encode('', true)[0] === bosTokenId,
    addBosToken: config.add_bos_token === true,
    specialTokens,
    ...chatTemplateField(config, folder),
  };
}

/** A token id field of a model config: a number, a list of numbers, or absent (null). */
function tokenIds(value: unknown): number[] {
  const values = Array.isArray(value) ? value : [value];
  return values.filter((v): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0);
}

/** Newer exports keep the template in chat_template.jinja beside tokenizer_config.json. */
function chatTemplateField(config: Record<string, unknown>, folder: string): { chatTemplate?: string } {
  const inConfig = chatTemplateSource(config.chat_template);
  if (inConfig !== undefined) return { chatTemplate: inConfig };
  const file = join(folder, 'chat_template.jinja');
  return existsSync(file) ? { chatTemplate: readBoundedFileSync(file, { what: 'chat template' }).toString('utf8') } : {};
}
