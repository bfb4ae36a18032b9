import { Template } from '@huggingface/jinja';

/** One turn of a conversation, as chat templates read it. */
export interface ChatMessage {
  role: string;
  content: string;
}

/** The special-token strings a template may refer to (tokenizer_config.json's bos_token, eos_token, ...). */
export type SpecialTokens = Partial<Record<(typeof SPECIAL_TOKEN_NAMES)[number], string>>;

/** The names transformers and transformers.js hand to every chat template. */
export const SPECIAL_TOKEN_NAMES = ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token'] as const;

export interface ChatTemplate {
  /** The conversation as the model reads it, ending with the assistant's turn opened (add_generation_prompt). */
  render(messages: readonly ChatMessage[]): string;
}

/**
 * Compiles a Hugging Face chat template with @huggingface/jinja, the Jinja
 * implementation transformers.js uses, so a prompt here is the prompt the
 * model's users send. Throws the parser's error for a template it cannot read.
 */
export function compileChatTemplate(source: string, specialTokens: SpecialTokens): ChatTemplate {
  const template = new Template(source);
  return {
    render: (messages) =>
      template.render({ ...specialTokens, messages: messages.map((m) => ({ role: m.role, content: m.content })), add_generation_prompt: true }),
  };
}

/**
 * The template tokenizer_config.json names: a string, or (transformers >= 4.43)
 * a list of named templates of which "default" is the chat one.
 */
export function chatTemplateSource(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const named = value.find((t): t is { name: string; template: string } => t?.name === 'default' && typeof t?.template === 'string');
    return named?.template;
  }
  return undefined;
}

/** A special token as tokenizer_config.json writes it: a string, or an AddedToken object with its content. */
export function specialTokenText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') return (value as { content: string }).content;
  return undefined;
}
