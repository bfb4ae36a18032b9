import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeAnswer } from '../../harness/scoring/normalize.ts';
import { extractionHallucinationRate } from '../../harness/scoring/hallucination.ts';
import { parseCall, slotScore } from '../../harness/scoring/slots.ts';
import { llamaCpp } from '../../harness/runtimes/llama-cpp.ts';
import { tensor } from '../../harness/runtimes/tensor.ts';
import { loadTokenizer, type TextTokenizer } from '../../harness/tasks/tokenizer.ts';
import { decoderPromptExamples, TRAINING_CORPUS } from '../../scripts/demo/decoder-prompts.ts';
import { buildDemoDecoder, DEMO_DECODER_PROMPTS, TRAINED_DECODER_HEAD, type DemoDecoderPaths } from '../../scripts/demo/trained-decoder.ts';
import { greedyDecode } from '../helpers/kv-cache-decoder.ts';

/**
 * The demo decoder as `npm run demo` builds it: the trained fp32 export, its
 * int8 / int4 ONNX variants and the GGUF Q4_K_M file, and the prompts, with
 * what the trained weights answer to them.
 */
let dir: string;
let paths: DemoDecoderPaths;
let tokenizer: TextTokenizer;
const prompts = decoderPromptExamples(DEMO_DECODER_PROMPTS);
const MAX_NEW_TOKENS = 24;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgebench-demo-decoder-'));
  const decoderDir = join(dir, 'trained-decoder');
  paths = {
    decoderDir,
    decoder: join(decoderDir, 'onnx', 'model.onnx'),
    decoderGguf: join(decoderDir, 'onnx', 'model_q4_k_m.gguf'),
    promptsDataset: join(dir, 'decoder-prompts.jsonl'),
  };
  await buildDemoDecoder(paths);
  tokenizer = loadTokenizer(join(decoderDir, 'tokenizer.json'), 'test');
}, 120_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

const manifest = async (name: string) => JSON.parse(await readFile(join(paths.decoderDir, 'onnx', name), 'utf8')) as Record<string, unknown>;

/** The text before the first end-of-text token. */
function answerOf(tokens: number[]): string {
  const stop = tokens.findIndex((t) => tokenizer.eosTokenIds.includes(t));
  return tokenizer.decode(stop >= 0 ? tokens.slice(0, stop) : tokens);
}

describe('demo decoder prompts', () => {
  it("start with the article's example, then held-out exchanges whose prompt the training corpus never holds", async () => {
    expect(prompts).toHaveLength(DEMO_DECODER_PROMPTS);
    expect(prompts[0]).toEqual({
      id: 'prompt-0000',
      text: "Extract the intent: 'Book a table at 7pm for two' ->",
      baseline: 'book_table(party=two, time=7pm)',
    });
    const training = await readFile(TRAINING_CORPUS, 'utf8');
    for (const { text, baseline } of prompts) {
      expect(text).toMatch(/^Extract the intent: '.+' ->$/);
      expect(baseline).toMatch(/^[a-z_]+\(.*\)$/);
      expect(training).not.toContain(text);
    }
    const written = (await readFile(paths.promptsDataset, 'utf8')).trim().split('\n');
    expect(written.map((line) => JSON.parse(line) as unknown)).toEqual(prompts);
  });
});

describe('demo decoder variants', () => {
  it('int8 and int4 (head kept at int8) ONNX and GGUF Q4_K_M, each with a manifest naming the fp32 source', async () => {
    const [int8, int4, gguf] = await Promise.all([
      manifest('model_quantized.manifest.json'),
      manifest('model_q4.manifest.json'),
      manifest('model_q4_k_m.manifest.json'),
    ]);
    expect(int8).toMatchObject({ model: 'model_quantized.onnx', precision: 'int8', source: { model: 'model.onnx' } });
    expect(int4).toMatchObject({ model: 'model_q4.onnx', layers: { int8: [TRAINED_DECODER_HEAD] }, source: { model: 'model.onnx' } });
    expect(gguf).toMatchObject({ model: 'model_q4_k_m.gguf', quantization: { to: 'gguf', quant: 'q4_k_m' }, source: { model: 'model.onnx' } });
    expect((gguf.diskBytes as number) / (int8.diskBytes as number)).toBeLessThan(0.8);
  });

  it('the fp32 ONNX decoder answers every held-out prompt exactly but the article\'s, whose "7pm" it writes as its training wrote times ("7 pm")', async () => {
    const session = await ort.InferenceSession.create(paths.decoder, { intraOpNumThreads: 1 });
    const answers: string[] = [];
    for (const { text } of prompts)
      answers.push(answerOf((await greedyDecode(session, tokenizer.encode(text), { useCache: true, newTokens: MAX_NEW_TOKENS })).tokens));
    await session.release();
    const misses = prompts.filter((p, i) => normalizeAnswer(answers[i]!) !== normalizeAnswer(p.baseline)).map((p) => p.id);
    expect(misses).toEqual(['prompt-0000']);
    expect(answers[0]!.trim()).toBe('book_table(party=two, time=7 pm)');
    // Extraction hallucination reads the slot values: only the reformatted "7 pm" is not in its utterance.
    const hallucination = extractionHallucinationRate(prompts.map((p, i) => ({ exampleId: p.id, input: p.text, output: answers[i]! })));
    expect(hallucination.perExample.filter((e) => e.flagged).map((e) => e.exampleId)).toEqual(['prompt-0000']);
    // Slot F1 (scoring.slots: call): every expected answer is a call; the one pair missed is that time, the intent always right.
    const slots = slotScore(prompts.map((p, i) => ({ exampleId: p.id, predicted: answers[i]!, expected: parseCall(p.baseline)! })));
    const missed = slots.perExample.filter((e) => e.matched < e.expected || e.predicted > e.matched);
    expect(missed).toEqual([expect.objectContaining({ exampleId: 'prompt-0000', expected: 2, predicted: 2, matched: 1 })]);
    expect(slots.intentAccuracy).toBe(1);
    expect(slots.f1).toBeLessThan(1);
  });

  it('llama.cpp runs the GGUF Q4_K_M file to the same answers on the first prompts', async () => {
    const session = await llamaCpp.load({ location: paths.decoderGguf }, { intraOpThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential' });
    try {
      for (const { text, baseline } of prompts.slice(1, 6)) {
        const generated: number[] = [];
        let step = tokenizer.encode(text);
        let past = 0;
        while (generated.length < MAX_NEW_TOKENS && !tokenizer.eosTokenIds.includes(generated.at(-1) ?? -1)) {
          const cache = tensor('float32', new Float32Array(0), [1, 1, past, 0]);
          const outputs = await session.run({
            input_ids: tensor('int64', BigInt64Array.from(step, BigInt), [1, step.length]),
            'past_key_values.0.key': cache,
            'past_key_values.0.value': cache,
          });
          const logits = outputs.logits!.data as Float32Array;
          const next = logits.indexOf(Math.max(...logits));
          past += step.length;
          generated.push(next);
          step = [next];
        }
        expect(answerOf(generated).trim()).toBe(baseline);
      }
    } finally {
      await session.release();
    }
  });
});
