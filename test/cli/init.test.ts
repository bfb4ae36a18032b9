import { copyFile, cp, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Results } from '../../harness/core/results.ts';
import { DEVICES_YAML, tempProject, writeSmallModel, type TempProject } from '../helpers/project.ts';

const BIN = fileURLToPath(new URL('../../bin/edgebench.js', import.meta.url));
const MODELS = join(import.meta.dirname, '..', 'fixtures', 'models');
const FOLDERS = ['llama-tjs', 'llama-tied-symbolic', 'gpt2-tjs', 'optimum-merged', 'genai-gqa'] as const;

let project: TempProject;
beforeAll(async () => {
  project = await tempProject();
  await project.write('devices.yaml', DEVICES_YAML);
  for (const folder of FOLDERS) await cp(join(MODELS, folder), project.path('models', folder), { recursive: true });
});
afterAll(() => project.cleanup());

const edgebench = (args: string[]) => execa(process.execPath, [BIN, ...args], { cwd: project.dir, reject: false, env: { NO_COLOR: '1' } });

describe('edgebench init (the real CLI)', () => {
  it.each([
    ['llama-tjs', ['fp32', 'fp16', 'q4f16']],
    ['llama-tied-symbolic', ['fp32']],
    ['gpt2-tjs', ['fp32']],
    ['optimum-merged', ['fp32']],
    ['genai-gqa', ['int4']],
  ] as const)('%s: writes a commented generate suite and a prompt template that edgebench validate passes', async (folder, variants) => {
    const init = await edgebench(['init', `models/${folder}`]);
    expect(init.stderr).toBe('');
    expect(init.exitCode).toBe(0);
    expect(init.stdout).toContain(`models/${folder}/suite.yaml: generate suite for ${variants.length} variant(s)`);
    const text = await readFile(project.path('models', folder, 'suite.yaml'), 'utf8');
    expect(text).toMatch(/^# edgebench suite for the model folder \. \(/);
    expect(text).toContain('# Inferred from the model: input_ids and a KV cache (past_key_values.0.key) in, logits out.');
    const suite = parse(text) as { task: string; dataset: string; generation: { tokenizer: string; stopTokenIds?: number[] }; variants: { name: string }[] };
    expect(suite.task).toBe('generate');
    expect(suite.generation.tokenizer).toBe('tokenizer.json');
    expect(suite.variants.map((v) => v.name)).toEqual(variants);
    const prompts = (await readFile(project.path('models', folder, suite.dataset), 'utf8')).trim().split('\n');
    expect(prompts.length).toBeGreaterThanOrEqual(3);
    expect(JSON.parse(prompts[0]!)).toMatchObject({ id: 'prompt-1', text: expect.any(String) });
    if (folder === 'genai-gqa') expect(text).toContain('(genai_config.json: 457, 460)');

    const validate = await edgebench(['validate', '--suite', `models/${folder}/suite.yaml`]);
    expect(validate.stderr).toBe('');
    expect(validate.exitCode).toBe(0);
    expect(validate.stdout).toContain(`models/${folder}/suite.yaml: ok (${prompts.length} examples)`);
  });

  it('refuses to overwrite a suite without --force, and overwrites with it', async () => {
    const again = await edgebench(['init', 'models/gpt2-tjs']);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toContain('models/gpt2-tjs/suite.yaml exists');
    expect(again.stderr).toContain('fix: pass --force to overwrite it, or -o another suite file');
    expect((await edgebench(['init', 'models/gpt2-tjs', '--force'])).exitCode).toBe(0);
  });

  it('writes where -o says, with paths relative to it, and takes --task', async () => {
    const result = await edgebench(['init', 'models/gpt2-tjs', '--task', 'forward', '-o', 'suites/gpt2-forward.yaml']);
    expect(result.exitCode).toBe(0);
    const text = await readFile(project.path('suites/gpt2-forward.yaml'), 'utf8');
    expect(text).toContain('task: forward');
    expect(text).toContain('generate (input_ids and a KV cache (past_key_values.0.key) in, logits out); forward was asked for');
    expect(text).toContain('file: "../models/gpt2-tjs/onnx/model.onnx"');
    const validate = await edgebench(['validate', '--suite', 'suites/gpt2-forward.yaml']);
    expect(validate.stderr).toBe('');
    expect(validate.exitCode).toBe(0);
  });

  it('infers classify from a classifier head, with its labels from config.json, and validate passes', async () => {
    await writeSmallModel(project, 'models/classifier/onnx/model.onnx');
    await project.write('models/classifier/config.json', JSON.stringify({ id2label: { 0: 'billing', 1: 'bug', 2: 'praise', 3: 'other' } }));
    const result = await edgebench(['init', 'models/classifier']);
    expect(result.exitCode).toBe(0);
    const text = await readFile(project.path('models/classifier/suite.yaml'), 'utf8');
    expect(text).toContain('task: classify');
    expect(text).toContain('labels: ["billing", "bug", "praise", "other"]');
    const validate = await edgebench(['validate', '--suite', 'models/classifier/suite.yaml']);
    expect(validate.stderr).toBe('');
    expect(validate.exitCode).toBe(0);
  });

  it('refuses a folder with nothing recognisable, naming it and what it looked for', async () => {
    await mkdir(project.path('models/empty'), { recursive: true });
    const result = await edgebench(['init', 'models/empty']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/models\/empty: no model edgebench recognises in this folder; looked for genai_config\.json/);
  });
});

describe('a suite naming a model folder', () => {
  it('benchmarks the variants discovered there, and warns in validate and run when a file name contradicts its graph', async () => {
    await mkdir(project.path('models/misnamed/onnx'), { recursive: true });
    await copyFile(project.path('models/llama-tjs/onnx/model_fp16.onnx'), project.path('models/misnamed/onnx/model_fp16.onnx'));
    await copyFile(project.path('models/llama-tjs/onnx/model.onnx'), project.path('models/misnamed/onnx/model_int8.onnx'));
    await copyFile(project.path('models/llama-tjs/onnx/model.onnx_data'), project.path('models/misnamed/onnx/model.onnx_data'));
    await copyFile(project.path('models/llama-tjs/tokenizer.json'), project.path('models/misnamed/tokenizer.json'));
    await project.write('suites/data/prompts.jsonl', '{"id": "a", "text": "The cat"}\n');
    await project.write(
      'suites/folder.yaml',
      [
        'name: folder',
        'task: generate',
        'dataset: data/prompts.jsonl',
        'warmup: 1',
        'iterations: 2',
        'repeats: 1',
        'model: {folder: ../models/misnamed, variants: [int8]}',
        '',
      ].join('\n'),
    );
    const validate = await edgebench(['validate', '--suite', 'suites/folder.yaml']);
    expect(validate.exitCode).toBe(0);
    expect(validate.stdout).toMatch(/int8\s+fp32\s+\d+ bytes/);
    expect(validate.stdout).toContain(
      'warning: models/misnamed/onnx/model_int8.onnx: the file name says int8 (int8), the graph is fp32 (132.5k float32 weights)',
    );

    const run = await edgebench(['run', '--suite', 'suites/folder.yaml', '--run-id', 'folder']);
    expect(run.stderr).toContain('warning: models/misnamed/onnx/model_int8.onnx: the file name says int8 (int8), the graph is fp32');
    expect(run.exitCode).toBe(0);
    const results = Results.parse(JSON.parse(await readFile(project.path('reports/folder/results.json'), 'utf8')));
    expect(results.cells.map((c) => [c.variant.name, c.variant.precision, c.status])).toEqual([['int8', 'fp32', 'ok']]);
  });

  it('names an unknown variant of the folder and lists the ones it holds', async () => {
    await project.write(
      'suites/unknown.yaml',
      ['name: u', 'task: generate', 'dataset: data/prompts.jsonl', 'model: {folder: ../models/llama-tjs, variants: [q8]}', ''].join('\n'),
    );
    const result = await edgebench(['validate', '--suite', 'suites/unknown.yaml']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('suites/unknown.yaml: model.variants: no variant named "q8" in ../models/llama-tjs');
    expect(result.stderr).toContain('fix: use some of: fp32, fp16, q4f16');
  });
});

describe('edgebench init then edgebench run on the host', () => {
  it('llama-tjs: the fp32 variant generates (fp16 and q4f16 cells report their own outcome)', async () => {
    const result = await edgebench(['run', '--suite', 'models/llama-tjs/suite.yaml', '--repeats', '1', '--run-id', 'llama']);
    const results = Results.parse(JSON.parse(await readFile(project.path('reports/llama/results.json'), 'utf8')));
    expect(results.cells.map((c) => c.variant.name)).toEqual(['fp32', 'fp16', 'q4f16']);
    expect(results.cells.map((c) => c.variant.precision)).toEqual(['fp32', 'fp16', 'q4f16']);
    const fp32 = results.cells.find((c) => c.variant.name === 'fp32')!;
    expect(fp32.status).toBe('ok');
    expect(fp32.samples.length).toBe(20);
    expect(result.stdout).toMatch(/host\s+fp32\s+ok\s+20/);
  });

  // llama-tied-symbolic (symbolic KV head count) and genai-gqa (GroupQueryAttention) are checked through init and validate above only.
  it.each(['gpt2-tjs', 'optimum-merged'])('%s: every variant generates', async (folder) => {
    const result = await edgebench(['run', '--suite', `models/${folder}/suite.yaml`, '--repeats', '1', '--run-id', folder]);
    expect(result.exitCode).toBe(0);
    const results = Results.parse(JSON.parse(await readFile(project.path(`reports/${folder}/results.json`), 'utf8')));
    expect(results.cells.map((c) => [c.variant.name, c.status])).toEqual([['fp32', 'ok']]);
  });
});
