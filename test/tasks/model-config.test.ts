import { cp, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../harness/config/errors.ts';
import { readModelConfig } from '../../harness/tasks/model-config.ts';
import { tempProject, type TempProject } from '../helpers/project.ts';

const MODELS = fileURLToPath(new URL('../fixtures/models/', import.meta.url));
const at = (path: string) => `${MODELS}${path}`;

describe('readModelConfig (config files beside a model)', () => {
  it('reads a transformers.js model from the folder above onnx/: GQA head counts and eos ids', () => {
    const config = readModelConfig(at('llama-tjs/onnx/model_q4f16.onnx'));
    expect(config.folder).toBe(at('llama-tjs'));
    expect(config.cache).toEqual({ kvHeads: 2, headDim: 16 });
    expect(config.eosTokenIds.length).toBeGreaterThan(0);
    expect(config.genai).toBeUndefined();
  });

  it('gives the counts a symbolic past needs, and derives GPT-2 head size from n_embd / n_head', () => {
    expect(readModelConfig(at('llama-tied-symbolic/onnx/model.onnx')).cache).toEqual({ kvHeads: 2, headDim: 16 });
    expect(readModelConfig(at('gpt2-tjs/onnx/model.onnx')).cache).toEqual({ kvHeads: 4, headDim: 16 });
  });

  it('takes names, KV layout and both eos ids from genai_config.json for the decoder it names', () => {
    const config = readModelConfig(at('genai-gqa/model.onnx'));
    expect(config.cache).toEqual({
      kvHeads: 2,
      headDim: 16,
      names: { pastKey: 'past_key_values.%d.key', pastValue: 'past_key_values.%d.value', presentKey: 'present.%d.key', presentValue: 'present.%d.value' },
    });
    expect(config.eosTokenIds).toEqual(expect.arrayContaining([457]));
    // Another .onnx in the same folder is not the decoder genai_config.json describes.
    expect(readModelConfig(at('genai-gqa/other.onnx')).genai).toBeUndefined();
  });

  describe('in a folder of its own', () => {
    let project: TempProject;
    beforeAll(async () => {
      project = await tempProject();
      await cp(at('genai-gqa'), project.path('genai'), { recursive: true });
    });
    afterAll(() => project.cleanup());

    it('allocates past at max_length when genai_config.json shares past and present buffers', async () => {
      const genai = JSON.parse(await readFile(project.path('genai/genai_config.json'), 'utf8')) as {
        search: Record<string, unknown>;
      };
      genai.search.past_present_share_buffer = true;
      await writeFile(project.path('genai/genai_config.json'), JSON.stringify(genai));
      expect(readModelConfig(project.path('genai/model.onnx')).cache.sharedBufferLength).toBe(128);
    });

    it('names the file and field of a config it cannot read', async () => {
      await writeFile(project.path('genai/config.json'), '{"num_key_value_heads": "two"}');
      expect(() => readModelConfig(project.path('genai/model.onnx'))).toThrow(ConfigError);
      expect(() => readModelConfig(project.path('genai/model.onnx'))).toThrow(/config\.json.*num_key_value_heads/);
    });

    it('has nothing to say about a model with no config files', () => {
      expect(readModelConfig(project.path('nowhere/model.onnx'))).toEqual({ folder: undefined, eosTokenIds: [], cache: {} });
    });
  });
});
