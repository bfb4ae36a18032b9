import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../harness/config/errors.ts';
import { promptEncoder, withBos } from '../../harness/tasks/prompt.ts';
import { loadTokenizer } from '../../harness/tasks/tokenizer.ts';
import { tempProject } from '../helpers/project.ts';

const MODELS = join(import.meta.dirname, '..', 'fixtures', 'models');
const tokenizerOf = (folder: string) => loadTokenizer(join(MODELS, folder, 'tokenizer.json'), 'suite.yaml');
const project = await tempProject();
afterAll(() => project.cleanup());

/** A fixture folder copied, with tokenizer_config.json edited. */
function editedFixture(folder: string, edit: (config: Record<string, unknown>) => void): string {
  const copy = project.path(folder);
  cpSync(join(MODELS, folder), copy, { recursive: true, filter: (f) => !f.endsWith('.onnx') });
  const file = join(copy, 'tokenizer_config.json');
  const config = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(config);
  writeFileSync(file, JSON.stringify(config));
  return join(copy, 'tokenizer.json');
}

describe('the tokenizer reads what the model configs say about prompts', () => {
  it('every eos id the configs declare, a number or a list, with bos and the special-token strings', () => {
    const llama3 = tokenizerOf('genai-gqa');
    expect(llama3.eosTokenIds.sort()).toEqual([457, 460]);
    expect(llama3.bosTokenId).toBe(456);
    expect(llama3.postProcessorAddsBos).toBe(true);
    expect(llama3.specialTokens).toEqual({ bos_token: '<|begin_of_text|>', eos_token: '<|eot_id|>' });
    const gpt2 = tokenizerOf('gpt2-tjs');
    expect(gpt2.eosTokenIds).toEqual([456]);
    expect(gpt2.postProcessorAddsBos).toBe(false);
    expect(tokenizerOf('llama-tjs').eosTokenIds).toEqual([458]);
  });

  it('decodes an empty generation to "" (the tokenizers library throws on an empty list)', () => {
    const tokenizer = tokenizerOf('llama-tjs');
    expect(tokenizer.decode([])).toBe('');
    expect(tokenizer.decode([458])).toBe('');
    expect(tokenizer.decode(tokenizer.encode('hello world'))).toBe('hello world');
  });
});

describe('prompts as the model users run them', () => {
  it('a prompt is one user message through the chat template, encoded without a second BOS', () => {
    const tokenizer = tokenizerOf('genai-gqa');
    const prompts = promptEncoder(tokenizer, undefined, 'suite.yaml');
    expect(prompts.templated).toBe(true);
    const ids = prompts.encode({ prompt: 'hello' }, 'data.jsonl:1');
    const rendered = '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhello<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n';
    expect(ids).toEqual(tokenizer.encode(rendered, { addSpecialTokens: false }));
    // The template writes BOS and the post-processor adds one too: once only.
    expect(ids[0]).toBe(456);
    expect(ids[1]).not.toBe(456);
    expect(ids.filter((id) => id === 456)).toHaveLength(1);
    expect(prompts.encode({ messages: [{ role: 'user', content: 'hello' }] }, 'data.jsonl:2')).toEqual(ids);
  });

  it('text is encoded as written, with the BOS the post-processor adds, not doubled when the text holds it', () => {
    const tokenizer = tokenizerOf('genai-gqa');
    const prompts = promptEncoder(tokenizer, undefined, 'suite.yaml');
    const plain = prompts.encode({ text: 'hello' }, 'data.jsonl:1');
    expect(plain).toEqual([456, ...tokenizer.encode('hello', { addSpecialTokens: false })]);
    expect(prompts.encode({ text: '<|begin_of_text|>hello' }, 'data.jsonl:2')).toEqual(plain);
  });

  it('BOS is added when the post-processor adds it and the template does not write it', () => {
    const file = editedFixture('genai-gqa', (config) => {
      config.chat_template = "{% for m in messages %}{{ m['content'] }}{% endfor %}";
    });
    const tokenizer = loadTokenizer(file, 'suite.yaml');
    expect(promptEncoder(tokenizer, undefined, 'suite.yaml').encode({ prompt: 'hello' }, 'data.jsonl:1')).toEqual([
      456,
      ...tokenizer.encode('hello', { addSpecialTokens: false }),
    ]);
  });

  it('no BOS where the tokenizer does not start sequences with it (GPT-2), nor a ChatML template', () => {
    const gpt2 = tokenizerOf('gpt2-tjs');
    expect(promptEncoder(gpt2, false, 'suite.yaml').encode({ prompt: 'hello' }, 'data.jsonl:1')).toEqual(gpt2.encode('hello'));
    expect(gpt2.encode('hello')).not.toContain(456);
    const chatml = tokenizerOf('llama-tjs');
    const ids = promptEncoder(chatml, undefined, 'suite.yaml').encode({ prompt: 'hi' }, 'data.jsonl:1');
    expect(chatml.decode(ids)).toBe('system\nYou are a helpful assistant.\nuser\nhi\nassistant\n');
    expect(ids[0]).toBe(457);
    expect(withBos({ bosTokenId: 1, postProcessorAddsBos: false, addBosToken: true }, [5, 6])).toEqual([1, 5, 6]);
    expect(withBos({ bosTokenId: 1, postProcessorAddsBos: false, addBosToken: false }, [1, 1, 5])).toEqual([1, 5]);
  });

  it('chatTemplate false sends a prompt as written, and refuses messages, which need a template', () => {
    const tokenizer = tokenizerOf('optimum-merged');
    const off = promptEncoder(tokenizer, false, 'suite.yaml');
    expect(off.templated).toBe(false);
    expect(off.encode({ prompt: 'hello' }, 'data.jsonl:1')).toEqual(tokenizer.encode('hello'));
    expect(() => off.encode({ messages: [{ role: 'user', content: 'hello' }] }, 'data.jsonl:4')).toThrow(
      /data\.jsonl:4: messages: messages need a chat template, and generation\.chatTemplate is false/,
    );
    const on = promptEncoder(tokenizer, undefined, 'suite.yaml');
    // The template writes <s>; this tokenizer has no post-processor.
    expect(on.encode({ prompt: 'hello' }, 'data.jsonl:1')).toEqual(tokenizer.encode('<s>user : hello assistant : ', { addSpecialTokens: false }));
    expect(on.encode({ prompt: 'hello' }, 'data.jsonl:1')[0]).toBe(1);
  });

  it('reads the template from chat_template.jinja beside tokenizer_config.json when the config has none', () => {
    const file = editedFixture('llama-tied-symbolic', (config) => delete config.chat_template);
    writeFileSync(join(file, '..', 'chat_template.jinja'), "{{ bos_token }}{% for m in messages %}[{{ m['role'] }}] {{ m['content'] }}{% endfor %}");
    const tokenizer = loadTokenizer(file, 'suite.yaml');
    const ids = promptEncoder(tokenizer, true, 'suite.yaml').encode({ prompt: 'hi' }, 'data.jsonl:1');
    expect(ids).toEqual(tokenizer.encode('<|begin_of_text|>[user] hi', { addSpecialTokens: false }));
    expect(ids.filter((id) => id === 456)).toHaveLength(1);
  });

  it('chatTemplate true requires a template, and a template that does not parse names its file', () => {
    const none = loadTokenizer(
      editedFixture('gpt2-tjs', (config) => delete config.chat_template),
      'suite.yaml',
    );
    expect(none.chatTemplate).toBeUndefined();
    expect(() => promptEncoder(none, true, 'suite.yaml')).toThrow(ConfigError);
    expect(() => promptEncoder(none, true, 'suite.yaml')).toThrow(/suite\.yaml: generation\.chatTemplate: .*has no chat_template/);
    expect(promptEncoder(none, undefined, 'suite.yaml').templated).toBe(false);
    const broken = loadTokenizer(
      editedFixture('llama-tjs', (config) => {
        config.chat_template = '{% for m in messages %}{{ m.content }}';
      }),
      'suite.yaml',
    );
    expect(() => promptEncoder(broken, undefined, 'suite.yaml')).toThrow(/chat_template: the chat template does not parse/);
  });
});
