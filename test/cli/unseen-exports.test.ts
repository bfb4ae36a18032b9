import { existsSync } from 'node:fs';
import { cp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Template } from '@huggingface/jinja';
import { Tokenizer } from '@huggingface/tokenizers';
import { execa } from 'execa';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { Results } from '../../harness/core/results.ts';
import { greedyDecode } from '../helpers/kv-cache-decoder.ts';
import { DEVICES_YAML, tempProject, type TempProject } from '../helpers/project.ts';

/**
 * Model folders edgebench's own fixture scripts did not shape: decoders written by torch 1.13's torch.onnx.export
 * (scripts/fixtures/torch_exports.py and train_demo_decoder.py) with other exporters' habits. Each goes through
 * `edgebench init <folder>` and then `edgebench run` of the suite init wrote, unedited, on the real CLI; the tokens
 * of every prompt equal greedy decoding by full recompute (no KV cache) in onnxruntime-node.
 */
const BIN = fileURLToPath(new URL('../../bin/edgebench.js', import.meta.url));
const MODELS = join(import.meta.dirname, '..', 'fixtures', 'models');
const FOLDERS = ['unseen-meta-static-op14', 'unseen-hf-symbolic-op15', 'unseen-step-op16', 'unseen-neox-op17', 'trained-decoder'] as const;
/** A decode-step graph cannot recompute a whole sequence: its folder carries the same weights exported with a dynamic sequence axis. */
const FULL_SEQUENCE_REFERENCE = 'reference/model_full_sequence.onnx';

let project: TempProject;
beforeAll(async () => {
  project = await tempProject();
  await project.write('devices.yaml', DEVICES_YAML);
  for (const folder of [...FOLDERS, 'unseen-aten-fallback']) await cp(join(MODELS, folder), project.path('models', folder), { recursive: true });
});
afterAll(() => project.cleanup());

const edgebench = (args: string[]) => execa(process.execPath, [BIN, ...args], { cwd: project.dir, reject: false, env: { NO_COLOR: '1' } });

async function readJson(folder: string, file: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(project.path('models', folder, file), 'utf8')) as Record<string, unknown>;
}

interface Suite {
  task: string;
  dataset: string;
  generation: { maxNewTokens: number };
  variants: { name: string; file: string }[];
}

/** Greedy tokens by full recompute for each prompt's ids, cut before the first of the model's stop ids. */
async function recompute(folder: string, modelFile: string, prompts: number[][], newTokens: number): Promise<number[][]> {
  const config = await readJson(folder, 'config.json');
  const eos = (await readJson(folder, 'generation_config.json')).eos_token_id as number | number[];
  const stops = new Set(Array.isArray(eos) ? eos : [eos]);
  const heads = config.num_attention_heads as number;
  const cache = { kvHeads: (config.num_key_value_heads as number | undefined) ?? heads, headDim: (config.hidden_size as number) / heads };
  const full = existsSync(project.path('models', folder, FULL_SEQUENCE_REFERENCE)) ? FULL_SEQUENCE_REFERENCE : modelFile;
  const session = await ort.InferenceSession.create(project.path('models', folder, full), { intraOpNumThreads: 1 });
  const out: number[][] = [];
  for (const prompt of prompts) {
    const { tokens } = await greedyDecode(session, prompt, { useCache: false, newTokens, ...cache });
    const stop = tokens.findIndex((t) => stops.has(t));
    out.push(stop < 0 ? tokens : tokens.slice(0, stop));
  }
  await session.release();
  return out;
}

/** Runs a suite and returns, per variant, its cell's status and the tokens of each example in dataset order. */
async function run(suiteFile: string, runId: string, exampleIds: string[]) {
  // One runner process per cell instead of the suite's three: the tokens are the same in each.
  const result = await edgebench(['run', '--suite', suiteFile, '--run-id', runId, '--repeats', '1', '--reporter', 'console']);
  const results = Results.parse(JSON.parse(await readFile(project.path(`reports/${runId}/results.json`), 'utf8')));
  const cells = results.cells.map((cell) => ({
    variant: cell.variant.name,
    status: cell.status,
    error: cell.error?.message,
    tokens: exampleIds.map((id) => {
      const output = cell.outputs.find((o) => o.exampleId === id)?.output;
      return output?.kind === 'generate' ? output.tokenIds : undefined;
    }),
  }));
  return { result, cells };
}

describe('edgebench init then run, over torch.onnx.export folders it has never seen (host, real CLI)', () => {
  it.each(FOLDERS)('%s: init writes a generate suite, run generates the full-recompute tokens for every prompt', async (folder) => {
    const init = await edgebench(['init', `models/${folder}`]);
    expect(init.stderr).toBe('');
    expect(init.exitCode).toBe(0);
    const suite = parse(await readFile(project.path('models', folder, 'suite.yaml'), 'utf8')) as Suite;
    expect(suite.task).toBe('generate');
    expect(suite.variants.map((v) => v.name)).toEqual(['fp32']);
    const validate = await edgebench(['validate', '--suite', `models/${folder}/suite.yaml`]);
    expect(validate.stderr).toBe('');
    expect(validate.exitCode).toBe(0);

    const lines = (await readFile(project.path('models', folder, suite.dataset), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { id: string; text: string });
    const { result, cells } = await run(
      `models/${folder}/suite.yaml`,
      folder,
      lines.map((l) => l.id),
    );
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);

    // The prompts as the model's users encode text: tokenizer(text), special tokens on.
    const tokenizer = new Tokenizer(await readJson(folder, 'tokenizer.json'), await readJson(folder, 'tokenizer_config.json'));
    const prompts = lines.map((l) => tokenizer.encode(l.text, { add_special_tokens: true }).ids);
    const expected = await recompute(folder, suite.variants[0]!.file, prompts, suite.generation.maxNewTokens);
    expect(expected.some((tokens) => tokens.length > 1)).toBe(true);
    expect(cells).toEqual([{ variant: 'fp32', status: 'ok', error: undefined, tokens: expected }]);
  });

  it.each(FOLDERS)('%s: chat prompts through its chat template give the tokens of the template rendered by transformers.js rules', async (folder) => {
    const suiteText = await readFile(project.path('models', folder, 'suite.yaml'), 'utf8');
    const suite = parse(suiteText) as Suite & Record<string, unknown>;
    const messages = ['book a table for two at 7 pm', 'what is the weather in oslo'];
    const lines = messages.map((prompt, i) => ({ id: `chat-${i}`, prompt }));
    await project.write(`models/${folder}/chat.jsonl`, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    await project.write(`models/${folder}/chat.yaml`, stringify({ ...suite, dataset: 'chat.jsonl' }));
    const { result, cells } = await run(
      `models/${folder}/chat.yaml`,
      `${folder}-chat`,
      lines.map((l) => l.id),
    );
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);

    // apply_chat_template(tokenize=True): render with the special-token strings, then encode without adding special tokens.
    const config = await readJson(folder, 'tokenizer_config.json');
    const tokenizer = new Tokenizer(await readJson(folder, 'tokenizer.json'), config);
    const template = new Template(config.chat_template as string);
    const prompts = messages.map((content) => {
      const text = template.render({
        messages: [{ role: 'user', content }],
        add_generation_prompt: true,
        bos_token: config.bos_token,
        eos_token: config.eos_token,
      });
      return tokenizer.encode(text, { add_special_tokens: false }).ids;
    });
    const expected = await recompute(folder, suite.variants[0]!.file, prompts, suite.generation.maxNewTokens);
    expect(cells).toEqual([{ variant: 'fp32', status: 'ok', error: undefined, tokens: expected }]);
  });

  it('unseen-aten-fallback: init warns that the graph holds torch ATen nodes, and the run fails its cell naming the operator, the runtime and its version', async () => {
    const init = await edgebench(['init', 'models/unseen-aten-fallback']);
    expect(init.exitCode).toBe(0);
    expect(init.stderr).toContain('warning: models/unseen-aten-fallback/onnx/model.onnx: the graph holds org.pytorch.aten:ATen');
    const { result, cells } = await run('models/unseen-aten-fallback/suite.yaml', 'aten', ['prompt-1']);
    expect(result.exitCode).toBe(1);
    expect(cells).toHaveLength(1);
    expect(cells[0]!.status).toBe('failed');
    expect(cells[0]!.error).toMatch(/^onnxruntime-node \d+\.\d+\.\d+ cannot load this model: .*org\.pytorch\.aten:ATen\(-1\) is not a registered function\/op/);
  });
});

describe('the trained decoder (scripts/fixtures/train_demo_decoder.py)', () => {
  const folder = 'trained-decoder';
  const WINDOW = 128;

  it('reaches in onnxruntime the held-out perplexity its training.json states, on the committed corpus', async () => {
    const training = (await readJson(folder, 'training.json')) as { heldOut: { perplexity: number; tokens: number; window: number } };
    expect(training.heldOut.window).toBe(WINDOW);
    const tokenizer = new Tokenizer(await readJson(folder, 'tokenizer.json'), await readJson(folder, 'tokenizer_config.json'));
    const eos = (await readJson(folder, 'generation_config.json')).eos_token_id as number;
    const text = await readFile(join(MODELS, '..', 'corpus', 'heldout.txt'), 'utf8');
    // Every line is a document ending in the end-of-text token, as in training.
    const ids = text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .flatMap((line) => [...tokenizer.encode(line, { add_special_tokens: false }).ids, eos]);
    const config = await readJson(folder, 'config.json');
    const session = await ort.InferenceSession.create(project.path('models', folder, 'onnx/model.onnx'), { intraOpNumThreads: 1 });
    const pasts = Object.fromEntries(
      session.inputNames
        .filter((name) => name.startsWith('past_key_values.'))
        .map((name) => [name, new ort.Tensor('float32', new Float32Array(0), [1, config.num_key_value_heads as number, 0, config.head_dim as number])]),
    );
    let negativeLogLikelihood = 0;
    let scored = 0;
    for (let start = 0; start < ids.length - 1; start += WINDOW) {
      const window = ids.slice(start, start + WINDOW + 1);
      const inputs = window.slice(0, -1);
      const long = (values: number[]) => new ort.Tensor('int64', BigInt64Array.from(values, BigInt), [1, values.length]);
      const { logits } = await session.run({
        input_ids: long(inputs),
        attention_mask: long(inputs.map(() => 1)),
        position_ids: long(inputs.map((_, i) => i)),
        ...pasts,
      });
      const vocab = logits!.dims[2]!;
      const data = logits!.data as Float32Array;
      for (let i = 0; i < inputs.length; i++) {
        const row = data.subarray(i * vocab, (i + 1) * vocab);
        const max = row.reduce((a, b) => Math.max(a, b), -Infinity);
        const logSum = Math.log(row.reduce((sum, v) => sum + Math.exp(v - max), 0)) + max;
        negativeLogLikelihood += logSum - row[window[i + 1]!]!;
        scored++;
      }
    }
    await session.release();
    const perplexity = Math.exp(negativeLogLikelihood / scored);
    // The Python encoder the script trained with and tokenizers.js may split a rare string differently: a token or two of difference.
    expect(Math.abs(scored - training.heldOut.tokens)).toBeLessThanOrEqual(training.heldOut.tokens * 0.01);
    expect(Math.abs(perplexity - training.heldOut.perplexity) / training.heldOut.perplexity).toBeLessThan(0.02);
  });
});
