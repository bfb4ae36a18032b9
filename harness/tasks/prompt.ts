import { relative } from 'node:path';
import { ConfigError } from '../config/errors.ts';
import { compileChatTemplate, type ChatMessage, type ChatTemplate } from './chat-template.ts';
import type { TextTokenizer } from './tokenizer.ts';

/** The prompt fields of a dataset line. */
export interface PromptLine {
  /** Raw text, encoded as written (never templated). */
  text?: string;
  /** One user message. */
  prompt?: string;
  messages?: readonly ChatMessage[];
}

export interface PromptEncoder {
  /** The model's chat template is applied to prompt and messages. */
  templated: boolean;
  /** The line's prompt as token ids; `where` (file:line) names the line in errors. */
  encode(line: PromptLine, where: string): number[];
}

/**
 * Prompts as the model's users run them: prompt and messages go through the
 * tokenizer's chat template (add_generation_prompt on), text is encoded as is.
 * useTemplate false turns the template off; true requires one.
 */
export function promptEncoder(tokenizer: TextTokenizer, useTemplate: boolean | undefined, suiteFile: string): PromptEncoder {
  if (useTemplate === true && tokenizer.chatTemplate === undefined) {
    throw new ConfigError(
      suiteFile,
      'generation.chatTemplate',
      `${relative(process.cwd(), tokenizer.file)} has no chat_template beside it (tokenizer_config.json or chat_template.jinja)`,
      'use the tokenizer of a chat model, or set generation.chatTemplate: false to send the prompts as they are',
    );
  }
  const template = useTemplate !== false && tokenizer.chatTemplate !== undefined ? compileTemplate(tokenizer) : undefined;
  return {
    templated: template !== undefined,
    encode(line, where) {
      if (line.messages !== undefined || (line.prompt !== undefined && template)) {
        const messages = line.messages ?? [{ role: 'user', content: line.prompt! }];
        if (!template) {
          throw new ConfigError(
            where,
            'messages',
            `messages need a chat template, and ${tokenizer.chatTemplate === undefined ? `${relative(process.cwd(), tokenizer.file)} has none` : 'generation.chatTemplate is false'}`,
            'give the prompt as "prompt" or "text", or use the tokenizer of a chat model',
          );
        }
        return withBos(tokenizer, tokenizer.encode(renderOrThrow(template, messages, where), { addSpecialTokens: false }));
      }
      return withBos(tokenizer, tokenizer.encode(line.prompt ?? line.text ?? ''));
    },
  };
}

/**
 * BOS exactly once where the tokenizer starts sequences with it: a template
 * that writes bos_token and a post-processor that adds it would double it;
 * a template without it, rendered without special tokens (as transformers
 * does), would lose it.
 */
export function withBos(tokenizer: Pick<TextTokenizer, 'bosTokenId' | 'postProcessorAddsBos' | 'addBosToken'>, ids: number[]): number[] {
  const bos = tokenizer.bosTokenId;
  if (bos === undefined) return ids;
  if (ids[0] === bos && ids[1] === bos) return ids.slice(1);
  if ((tokenizer.postProcessorAddsBos || tokenizer.addBosToken) && ids[0] !== bos) return [bos, ...ids];
  return ids;
}

function compileTemplate(tokenizer: TextTokenizer): ChatTemplate {
  try {
    return compileChatTemplate(tokenizer.chatTemplate!, tokenizer.specialTokens);
  } catch (error) {
    throw new ConfigError(
      relative(process.cwd(), tokenizer.file),
      'chat_template',
      `the chat template does not parse (${(error as Error).message})`,
      'restore tokenizer_config.json from the model repository, or set generation.chatTemplate: false',
    );
  }
}

/** A template may refuse a conversation (raise_exception: roles must alternate, no system role, ...). */
function renderOrThrow(template: ChatTemplate, messages: readonly ChatMessage[], where: string): string {
  try {
    return template.render(messages);
  } catch (error) {
    throw new ConfigError(
      where,
      'messages',
      `the chat template rejects this conversation (${(error as Error).message})`,
      'write the conversation the way the model expects',
    );
  }
}
