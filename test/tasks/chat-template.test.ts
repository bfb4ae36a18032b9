import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chatTemplateSource, compileChatTemplate, specialTokenText } from '../../harness/tasks/chat-template.ts';

const MODELS = join(import.meta.dirname, '..', 'fixtures', 'models');
const tokenizerConfig = (folder: string) => JSON.parse(readFileSync(join(MODELS, folder, 'tokenizer_config.json'), 'utf8')) as Record<string, string>;
const fixtureTemplate = (folder: string) => {
  const config = tokenizerConfig(folder);
  return compileChatTemplate(config.chat_template!, { bos_token: config.bos_token!, eos_token: config.eos_token! });
};

describe('chat templates rendered with @huggingface/jinja', () => {
  it('llama-tjs (ChatML): a default system turn when the conversation has none, and the assistant turn opened', () => {
    const template = fixtureTemplate('llama-tjs');
    expect(template.render([{ role: 'user', content: 'Hello' }])).toBe(
      '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n',
    );
    expect(
      template.render([
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
      ]),
    ).toBe('<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n');
  });

  it('genai-gqa (Llama 3): bos_token from tokenizer_config.json, the trim filter binding before +', () => {
    const template = fixtureTemplate('genai-gqa');
    expect(
      template.render([
        { role: 'user', content: '  Hello  ' },
        { role: 'assistant', content: 'Hi.' },
        { role: 'user', content: 'More' },
      ]),
    ).toBe(
      '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|>' +
        '<|start_header_id|>assistant<|end_header_id|>\n\nHi.<|eot_id|>' +
        '<|start_header_id|>user<|end_header_id|>\n\nMore<|eot_id|>' +
        '<|start_header_id|>assistant<|end_header_id|>\n\n',
    );
  });

  it('gpt2-tjs: eos_token after every message, and no generation prompt where the template has none', () => {
    expect(
      fixtureTemplate('gpt2-tjs').render([
        { role: 'user', content: 'a' },
        { role: 'user', content: 'b' },
      ]),
    ).toBe('a<|endoftext|>b<|endoftext|>');
  });

  it('loops, conditionals, namespaces and raise_exception behave as in Jinja', () => {
    const source = [
      '{%- set ns = namespace(users=0) -%}',
      '{%- for m in messages -%}',
      "{%- if m.role == 'user' %}{% set ns.users = ns.users + 1 %}[{{ loop.index }}/{{ loop.length }} U] {{ m.content | upper }}",
      "{%- elif m.role == 'assistant' %}[{{ loop.index0 }} A] {{ m.content }}{{ eos_token }}",
      "{%- else %}{{ raise_exception('unknown role ' + m.role) }}{% endif %}",
      '{%- if not loop.last %}|{% endif -%}',
      '{%- endfor -%}',
      '{%- if add_generation_prompt %} <{{ ns.users }} users>{% endif -%}',
    ].join('\n');
    const template = compileChatTemplate(source, { eos_token: '</s>' });
    expect(
      template.render([
        { role: 'user', content: 'one' },
        { role: 'assistant', content: 'two' },
        { role: 'user', content: 'three' },
      ]),
    ).toBe('[1/3 U] ONE|[1 A] two</s>|[3/3 U] THREE <2 users>');
    expect(() => template.render([{ role: 'tool', content: 'x' }])).toThrow(/unknown role tool/);
  });

  it('reads the named "default" template, and special tokens written as AddedToken objects', () => {
    expect(chatTemplateSource('{{ x }}')).toBe('{{ x }}');
    expect(
      chatTemplateSource([
        { name: 'tool_use', template: 'T' },
        { name: 'default', template: 'D' },
      ]),
    ).toBe('D');
    expect(chatTemplateSource(undefined)).toBeUndefined();
    expect(specialTokenText({ __type: 'AddedToken', content: '<s>', lstrip: false })).toBe('<s>');
    expect(specialTokenText('</s>')).toBe('</s>');
    expect(specialTokenText(null)).toBeUndefined();
  });
});
