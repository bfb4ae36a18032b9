import { cp, mkdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../harness/config/errors.ts';
import { ModelFolder } from '../../harness/core/model-folder.ts';
import { discoverModelFolder, modelFolderName } from '../../harness/models/discover.ts';
import { inferTask } from '../../harness/models/infer-task.ts';
import { promisedPrecision } from '../../harness/models/variant-names.ts';
import { inspectModel } from '../../harness/onnx/model-file.ts';
import { onnx } from '../../harness/onnx/proto.ts';
import { tempProject, writeSmallModel, type TempProject } from '../helpers/project.ts';

const MODELS = join(import.meta.dirname, '..', 'fixtures', 'models');

let project: TempProject;
beforeAll(async () => {
  project = await tempProject();
});
afterAll(() => project.cleanup());

const sizeOf = async (...files: string[]) => (await Promise.all(files.map((f) => stat(f)))).reduce((sum, s) => sum + s.size, 0);

describe('discovery on the committed exports', () => {
  it('transformers.js: model.onnx, model_fp16.onnx and model_q4f16.onnx, most precise first, with external data counted', async () => {
    const found = ModelFolder.parse(await discoverModelFolder(join(MODELS, 'llama-tjs')));
    expect(found.layout).toBe('transformers.js');
    expect(found.variants.map((v) => [v.name, v.file, v.precision.label])).toEqual([
      ['fp32', 'onnx/model.onnx', 'fp32'],
      ['fp16', 'onnx/model_fp16.onnx', 'fp16'],
      ['q4f16', 'onnx/model_q4f16.onnx', 'q4f16'],
    ]);
    const fp32 = found.variants[0]!;
    expect(fp32.externalData).toEqual(['model.onnx_data']);
    expect(fp32.diskBytes).toBe(await sizeOf(join(MODELS, 'llama-tjs/onnx/model.onnx'), join(MODELS, 'llama-tjs/onnx/model.onnx_data')));
    expect(found.variants[2]!.precision.evidence).toMatch(/MatMulNBits bits=4/);
    expect(found.reference).toBe('fp32');
    expect(found.tokenizer).toBe('tokenizer.json');
    expect(found.warnings).toEqual([]);
  });

  it('legacy Optimum: the merged decoder is the variant, the prefill-only and decode-only graphs are listed as not benchmarked', async () => {
    const found = await discoverModelFolder(join(MODELS, 'optimum-merged'));
    expect(found.layout).toBe('optimum-legacy');
    expect(found.variants.map((v) => [v.name, v.file])).toEqual([['fp32', 'decoder_model_merged.onnx']]);
    expect(found.skipped.map((s) => s.file).sort()).toEqual(['decoder_model.onnx', 'decoder_with_past_model.onnx']);
    expect(found.variants[0]!.inputs).toContain('use_cache_branch');
  });

  it('onnxruntime-genai: the decoder genai_config.json names, named by its graph, with the config read', async () => {
    const found = await discoverModelFolder(join(MODELS, 'genai-gqa'));
    expect(found.layout).toBe('onnxruntime-genai');
    expect(found.variants.map((v) => [v.name, v.file, v.precision.label])).toEqual([['int4', 'model.onnx', 'int4']]);
    expect(found.genai?.model.eos_token_id).toEqual([457, 460]);
    expect(found.genai?.model.decoder.num_key_value_heads).toBe(2);
  });

  it.each(['llama-tjs', 'llama-tied-symbolic', 'gpt2-tjs', 'optimum-merged', 'genai-gqa'])('%s: the reference variant is a decoder (generate)', async (folder) => {
    const found = await discoverModelFolder(join(MODELS, folder));
    const model = await inspectModel(join(MODELS, folder, found.variants[0]!.file));
    expect(inferTask(model).task).toBe('generate');
  });
});

describe('discovery on folders users have', () => {
  it('onnxruntime-genai build folders: each is a variant named by its folder, and a folder name its graph contradicts is a warning', async () => {
    const root = project.path('genai-builds');
    await cp(join(MODELS, 'genai-gqa'), join(root, 'cpu_and_mobile', 'cpu-int4-rtn-block-32'), { recursive: true });
    await cp(join(MODELS, 'genai-gqa'), join(root, 'cuda', 'cuda-fp16'), { recursive: true });
    const found = await discoverModelFolder(root);
    expect(found.layout).toBe('onnxruntime-genai');
    expect(found.variants.map((v) => [v.name, v.file])).toEqual([
      ['cpu-int4-rtn-block-32', 'cpu_and_mobile/cpu-int4-rtn-block-32/model.onnx'],
      ['cuda-fp16', 'cuda/cuda-fp16/model.onnx'],
    ]);
    expect(found.tokenizer).toBe('cpu_and_mobile/cpu-int4-rtn-block-32/tokenizer.json');
    expect(found.warnings).toHaveLength(1);
    expect(found.warnings[0]).toMatch(/cuda-fp16\/model\.onnx: the folder name says fp16 \(fp16\), the graph is int4 \(MatMulNBits bits=4/);
  });

  it('a genai_config.json naming a file that is not there names the field', async () => {
    const root = project.path('genai-missing');
    await cp(join(MODELS, 'genai-gqa'), root, { recursive: true });
    const config = JSON.parse(await readFile(join(root, 'genai_config.json'), 'utf8')) as { model: { decoder: { filename: string } } };
    config.model.decoder.filename = 'model-int4.onnx';
    await writeFile(join(root, 'genai_config.json'), JSON.stringify(config));
    const error = await discoverModelFolder(root).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).field).toBe('model.decoder.filename');
    expect((error as ConfigError).problem).toContain('names model-int4.onnx, which is not in the folder');
  });

  it('external data split over numbered shards: every shard is listed and counted', async () => {
    const dir = project.path('sharded', 'onnx');
    await mkdir(dir, { recursive: true });
    const model = onnx.ModelProto.decode(await readFile(join(MODELS, 'llama-tjs/onnx/model.onnx')));
    const data = await readFile(join(MODELS, 'llama-tjs/onnx/model.onnx_data'));
    const shards = [[], []] as Buffer[][];
    const offsets = [0, 0];
    (model.graph!.initializer ?? []).filter((t) => t.externalData?.length).forEach((tensor, i) => {
      const field = (key: string) => tensor.externalData!.find((e) => e.key === key)!;
      const start = Number(field('offset')?.value ?? 0);
      const bytes = data.subarray(start, start + Number(field('length').value));
      const shard = i % 2;
      field('location').value = shard === 0 ? 'model.onnx_data' : 'model.onnx_data_1';
      if (field('offset')) field('offset').value = String(offsets[shard]);
      shards[shard]!.push(bytes);
      offsets[shard]! += bytes.length;
    });
    await writeFile(join(dir, 'model.onnx'), onnx.ModelProto.encode(model).finish());
    await writeFile(join(dir, 'model.onnx_data'), Buffer.concat(shards[0]!));
    await writeFile(join(dir, 'model.onnx_data_1'), Buffer.concat(shards[1]!));
    const found = await discoverModelFolder(join(project.path('sharded')));
    const [variant] = found.variants;
    expect(variant!.externalData.sort()).toEqual(['model.onnx_data', 'model.onnx_data_1']);
    expect(variant!.diskBytes).toBe(await sizeOf(join(dir, 'model.onnx'), join(dir, 'model.onnx_data'), join(dir, 'model.onnx_data_1')));
    expect(variant!.precision.label).toBe('fp32');
  });

  it('a truncated variant stays in the family with its name-given precision and a warning; the others are read', async () => {
    const root = project.path('truncated');
    await cp(join(MODELS, 'llama-tjs'), root, { recursive: true });
    const file = join(root, 'onnx/model_fp16.onnx');
    await truncate(file, Math.floor((await stat(file)).size / 3));
    const found = await discoverModelFolder(root);
    expect(found.variants.map((v) => [v.name, v.precision.label])).toEqual([
      ['fp32', 'fp32'],
      ['fp16', 'fp16'],
      ['q4f16', 'q4f16'],
    ]);
    expect(found.variants[1]!.precision.evidence).toMatch(/^not read from the graph \(.*\); taken from the file name$/);
    expect(found.warnings.join('\n')).toMatch(/model_fp16\.onnx: .*; its cells will fail/);
  });

  it('the onnx/ folder itself: the tokenizer one folder up, the family named after the parent', async () => {
    const found = await discoverModelFolder(join(MODELS, 'llama-tjs', 'onnx'));
    expect(found.variants.map((v) => v.file)).toEqual(['model.onnx', 'model_fp16.onnx', 'model_q4f16.onnx']);
    expect(found.tokenizer).toBe('../tokenizer.json');
    expect(modelFolderName(join(MODELS, 'llama-tjs', 'onnx'))).toBe('llama-tjs');
  });

  it('a classifier export: classify inferred from a logits row per example', async () => {
    await writeSmallModel(project, 'classifier/onnx/model.onnx');
    const found = await discoverModelFolder(project.path('classifier'));
    expect(found.variants.map((v) => [v.name, v.precision.label])).toEqual([['fp32', 'fp32']]);
    expect(inferTask(await inspectModel(project.path('classifier/onnx/model.onnx')))).toEqual({
      task: 'classify',
      because: 'logits of one row per example out (a classifier head)',
    });
  });

  it('a file, a missing path and an empty folder are refused with the path and what was looked for', async () => {
    await mkdir(project.path('empty'), { recursive: true });
    await expect(discoverModelFolder(project.path('empty'))).rejects.toThrow(/no model edgebench recognises in this folder; looked for genai_config\.json/);
    await expect(discoverModelFolder(project.path('nowhere'))).rejects.toThrow(/model folder not found/);
    await expect(discoverModelFolder(join(MODELS, 'llama-tjs/onnx/model.onnx'))).rejects.toThrow(/not a folder/);
  });
});

describe('what a variant name promises', () => {
  it.each([
    ['q4f16', 'q4f16', ['q4f16']],
    ['quantized', 'quantized', ['int8', 'uint8', 'mixed']],
    ['cpu-int4-rtn-block-32', 'int4', ['int4', 'q4f16', 'mixed']],
    ['cuda-fp16', 'fp16', ['fp16']],
  ])('%s promises %s', (name, word, precisions) => {
    expect(promisedPrecision(name)).toEqual({ word, precisions });
  });
  it('a name with no precision word promises nothing', () => {
    expect(promisedPrecision('cpu-rtn-block-32')).toBeUndefined();
  });
});
