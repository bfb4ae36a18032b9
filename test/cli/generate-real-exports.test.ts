import { cp, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Tokenizer } from '@huggingface/tokenizers';
import { execa } from 'execa';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Results } from '../../harness/core/results.ts';
import { greedyDecode } from '../helpers/kv-cache-decoder.ts';
import { writeBfloat16CacheDecoder } from '../helpers/models.ts';
import { DEVICES_YAML, tempProject, type TempProject } from '../helpers/project.ts';

/**
 * `edgebench run` of a generate suite over each committed real-layout export (test/fixtures/models/, made by
 * scripts/fixtures/): the tokens the runner generates with its KV cache equal greedy decoding by full recompute.
 */
const BIN = fileURLToPath(new URL('../../bin/edgebench.js', import.meta.url));
const MODELS = fileURLToPath(new URL('../fixtures/models/', import.meta.url));
const NEW_TOKENS = 8;
const PROMPT = 'The robot made tea for';
const GENAI_PROMPT = 'The robot made tea for the old man';

let project: TempProject;
beforeAll(async () => {
  project = await tempProject();
  await cp(MODELS, project.path('models'), { recursive: true });
  await project.write('devices.yaml', DEVICES_YAML);
  await project.write('suites/data/prompts.jsonl', `${JSON.stringify({ id: 'p0', text: PROMPT })}\n`);
  // genai-gqa/reference.json holds torch's logits for this prompt.
  await project.write('suites/data/genai.jsonl', `${JSON.stringify({ id: 'p0', text: GENAI_PROMPT })}\n`);
});
afterAll(() => project.cleanup());

const edgebench = (args: string[]) => execa(process.execPath, [BIN, ...args], { cwd: project.dir, reject: false, env: { NO_COLOR: '1' } });

async function readJson(...parts: string[]): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(project.path('models', ...parts), 'utf8')) as Record<string, unknown>;
}

/** Runs a generate suite over `files` (relative to models/) and returns each variant's generated tokens, or its cell's error. */
async function runGenerate(name: string, files: Record<string, string>, dataset = 'prompts.jsonl') {
  const variants = Object.entries(files).map(([variant, file]) => `  - {name: ${variant}, precision: fp32, file: ../models/${file}}`);
  const suite = ['name: ' + name, 'task: generate', `dataset: data/${dataset}`, 'warmup: 0', 'iterations: 1', 'runtime:', '  intraOpThreads: 1'];
  await project.write(`suites/${name}.yaml`, [...suite, 'generation:', `  maxNewTokens: ${NEW_TOKENS}`, 'variants:', ...variants, ''].join('\n'));
  const result = await edgebench(['run', '--suite', `suites/${name}.yaml`, '--run-id', name]);
  const results = Results.parse(JSON.parse(await readFile(project.path(`reports/${name}/results.json`), 'utf8')));
  const cells = new Map(
    results.cells.map((cell) => {
      const output = cell.outputs.find((o) => o.exampleId === 'p0')?.output;
      return [cell.variant.name, { status: cell.status, error: cell.error, tokens: output?.kind === 'generate' ? output.tokenIds : undefined }];
    }),
  );
  return { result, cells };
}

/** Prompt ids as the model's users make them, and greedy tokens by full recompute up to (not including) the first stop id. */
async function reference(folder: string, file: string, cache: { kvHeads?: number; headDim?: number } = {}, text = PROMPT) {
  const tokenizer = new Tokenizer(await readJson(folder, 'tokenizer.json'), await readJson(folder, 'tokenizer_config.json'));
  const prompt = tokenizer.encode(text, { add_special_tokens: true }).ids;
  const eos = (await readJson(folder, 'generation_config.json')).eos_token_id as number | number[];
  const stops = new Set(Array.isArray(eos) ? eos : [eos]);
  const session = await ort.InferenceSession.create(project.path('models', folder, file), { intraOpNumThreads: 1 });
  const { tokens } = await greedyDecode(session, prompt, { useCache: false, newTokens: NEW_TOKENS, ...cache });
  await session.release();
  const stop = tokens.findIndex((t) => stops.has(t));
  return stop < 0 ? tokens : tokens.slice(0, stop);
}

describe('edgebench run, generate task, over real exports (host, real runner)', () => {
  it('llama-tjs: fp32 (external data), fp16 and q4f16 (float16 KV cache and logits), GQA with position_ids', async () => {
    const files = { fp32: 'llama-tjs/onnx/model.onnx', fp16: 'llama-tjs/onnx/model_fp16.onnx', q4f16: 'llama-tjs/onnx/model_q4f16.onnx' };
    const { result, cells } = await runGenerate('llama', files);
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    for (const [variant, file] of Object.entries(files)) {
      const expected = await reference('llama-tjs', file.replace('llama-tjs/', ''));
      expect(expected.length).toBeGreaterThan(1);
      expect(cells.get(variant)).toMatchObject({ status: 'ok', tokens: expected });
    }
  });

  it('llama-tied-symbolic: no position_ids, past heads named symbolically (counts from config.json)', async () => {
    const { result, cells } = await runGenerate('tied', { fp32: 'llama-tied-symbolic/onnx/model.onnx' });
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    const config = await readJson('llama-tied-symbolic', 'config.json');
    const cache = { kvHeads: config.num_key_value_heads as number, headDim: config.head_dim as number };
    expect(cells.get('fp32')).toMatchObject({ status: 'ok', tokens: await reference('llama-tied-symbolic', 'onnx/model.onnx', cache) });
  });

  it('gpt2-tjs: GPT-2 layout', async () => {
    const { result, cells } = await runGenerate('gpt2', { fp32: 'gpt2-tjs/onnx/model.onnx' });
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect(cells.get('fp32')).toMatchObject({ status: 'ok', tokens: await reference('gpt2-tjs', 'onnx/model.onnx') });
  });

  it('optimum-merged: use_cache_branch false with an empty past first, then true', async () => {
    const { result, cells } = await runGenerate('merged', {
      merged: 'optimum-merged/decoder_model_merged.onnx',
      split: 'optimum-merged/decoder_with_past_model.onnx',
    });
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    const expected = await reference('optimum-merged', 'decoder_model.onnx');
    expect(cells.get('merged')).toMatchObject({ status: 'ok', tokens: expected });
    expect(cells.get('split')).toMatchObject({ status: 'ok', tokens: expected });
  });

  it('genai-gqa: com.microsoft GroupQueryAttention, names and KV layout from genai_config.json, and with a past/present buffer shared at max_length', async () => {
    const shared = await readJson('genai-gqa', 'genai_config.json');
    (shared.search as Record<string, unknown>).past_present_share_buffer = true;
    await cp(project.path('models/genai-gqa'), project.path('models/genai-gqa-shared'), { recursive: true });
    await project.write('models/genai-gqa-shared/genai_config.json', JSON.stringify(shared));
    const { result, cells } = await runGenerate('genai', { int4: 'genai-gqa/model.onnx', shared: 'genai-gqa-shared/model.onnx' }, 'genai.jsonl');
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    const torch = (await readJson('genai-gqa', 'reference.json')) as { input_ids: number[]; argmax: number };
    const expected = await reference('genai-gqa', 'model.onnx', {}, GENAI_PROMPT);
    expect(expected.length).toBeGreaterThan(1);
    expect(expected[0]).toBe(torch.argmax);
    expect(cells.get('int4')).toMatchObject({ status: 'ok', tokens: expected });
    expect(cells.get('shared')).toMatchObject({ status: 'ok', tokens: expected });
  });

  it('a bfloat16 KV cache, which onnxruntime-node has no tensors for, fails its cell with the type, the runtime and its version, and the run goes on', async () => {
    await writeBfloat16CacheDecoder(project.path('models/bf16/model.onnx'));
    await project.write('suites/data/ids.jsonl', '{"id": "p0", "inputs": {"input_ids": [[1, 2]]}}\n');
    const suite = ['name: bf16', 'task: generate', 'dataset: data/ids.jsonl', 'warmup: 0', 'iterations: 1', 'generation:', '  maxNewTokens: 2', 'variants:'];
    const variants = [
      '  - {name: bf16, precision: fp32, file: ../models/bf16/model.onnx}',
      '  - {name: gpt2, precision: fp32, file: ../models/gpt2-tjs/onnx/model.onnx}',
    ];
    await project.write('suites/bf16.yaml', [...suite, ...variants, ''].join('\n'));
    const result = await edgebench(['run', '--suite', 'suites/bf16.yaml', '--run-id', 'bf16']);
    expect(result.exitCode, result.stderr).toBe(1);
    const results = Results.parse(JSON.parse(await readFile(project.path('reports/bf16/results.json'), 'utf8')));
    const [bf16, gpt2] = results.cells;
    expect(bf16!.status).toBe('failed');
    expect(bf16!.error!.message).toMatch(
      /^onnxruntime-node \d+\.\d+\.\d+ cannot load this model: Unsupported data type: 16 \(bfloat16\): .*no bfloat16 tensors/,
    );
    expect(gpt2!.status).toBe('ok');
  });
});
