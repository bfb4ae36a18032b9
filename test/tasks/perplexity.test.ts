import { readFile, stat, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskSpec } from '../../harness/core/runner-protocol.ts';
import { writeModel } from '../../harness/onnx/build.ts';
import { buildPlan, type RunPlan } from '../../harness/plan/plan.ts';
import { quantizeModel } from '../../harness/quantize/quantize.ts';
import { onnxruntimeNode } from '../../harness/runtimes/onnxruntime-node.ts';
import { tensorFromSpec } from '../../harness/runtimes/tensor.ts';
import { logSoftmax } from '../../harness/stats/fidelity.ts';
import { perplexityStatistics, type WindowTokens } from '../../harness/stats/perplexity-statistics.ts';
import { fullKlDivergence } from '../../harness/stats/token-divergence.ts';
import { perplexityTask } from '../../harness/tasks/perplexity.run.ts';
import { loadTokenizer } from '../../harness/tasks/tokenizer.ts';
import { readTopK } from '../../harness/tasks/top-k-reference.ts';
import { byteLevelTokenizerJson } from '../../scripts/demo/byte-tokenizer.ts';
import { buildDecoder } from '../../scripts/demo/decoder.ts';
import { asFloat32 } from '../helpers/kv-cache-decoder.ts';
import { tempProject, type TempProject } from '../helpers/project.ts';

/** A real transformers.js export (Llama, 459-token BPE, 2 KV heads of 16): fp32 and its q4f16 sibling. */
const LLAMA = resolve('test/fixtures/models/llama-tjs');
const CORPUS =
  'The cat sat on the mat. A dog ran in the park, and the bird sang in the tree.\nThe sun was warm; the day was long, and the children played until the evening came.';
const CONTEXT = 24;
const STRIDE = 12;

let project: TempProject;
let demoInt4Manifest: string;
beforeAll(async () => {
  project = await tempProject();
  await project.write('devices.yaml', 'devices:\n  - id: host\n    kind: local\n');
  await project.write('corpus.txt', CORPUS);
  // A small demo decoder (byte vocabulary, random weights) and its int4 variant.
  await writeModel(
    project.path('demo/onnx/model.onnx'),
    buildDecoder({ vocabularySize: 256, hiddenSize: 64, layers: 2, heads: 4, ffnSize: 128, maxPositions: 64, seed: 7 }),
  );
  await project.write('demo/tokenizer.json', JSON.stringify(byteLevelTokenizerJson()));
  demoInt4Manifest = (await quantizeModel({ input: project.path('demo/onnx/model.onnx'), to: 'int4' })).manifestFile;
});
afterAll(() => project.cleanup());

const suiteText = (options: { dataset?: string; topK?: number; iterations?: number; stride?: number; variants?: string; reference?: string } = {}) =>
  [
    'name: perplexity-test',
    'task: perplexity',
    `dataset: ${options.dataset ?? 'corpus.txt'}`,
    'warmup: 0',
    `iterations: ${options.iterations ?? 100}`,
    'repeats: 1',
    'runtime: { intraOpThreads: 1 }',
    `perplexity: { context: ${CONTEXT}, stride: ${options.stride ?? STRIDE}, topK: ${options.topK ?? 8}, referenceFile: ${options.reference ?? `ref-${options.topK ?? 8}.topk`} }`,
    'variants:',
    options.variants ??
      `  - { name: fp32, precision: fp32, file: ${LLAMA}/onnx/model.onnx }\n  - { name: q4f16, precision: q4f16, file: ${LLAMA}/onnx/model_q4f16.onnx }`,
    '',
  ].join('\n');

async function planOf(text: string, file = 'suite.yaml'): Promise<RunPlan> {
  await project.write(file, text);
  return buildPlan({ suiteFile: project.path(file), devicesFile: project.path('devices.yaml') });
}

/** Runs the runner side of every window of a variant in this process, as the runner does, and returns the window outputs. */
async function runWindows(plan: RunPlan, name: string): Promise<WindowTokens[]> {
  const variant = plan.variants.find((v) => v.variant.name === name)!;
  const session = await onnxruntimeNode.load({ location: variant.modelPath }, plan.suite.runtime);
  try {
    const task = perplexityTask(session, plan.task.specFor!(variant) as Extract<TaskSpec, { kind: 'perplexity' }>);
    const windows: WindowTokens[] = [];
    for (const example of variant.examples) {
      const feeds = session.prepare(Object.fromEntries(Object.entries(example.feeds).map(([n, spec]) => [n, tensorFromSpec(spec)])));
      const { output } = await task.iterate({ id: example.id, feeds }, true);
      if (output?.kind !== 'perplexity') throw new Error('no perplexity output');
      windows.push(output);
    }
    return windows;
  } finally {
    await session.release();
  }
}

/** The log-softmax at every position of a sequence, by a plain onnxruntime session with an empty past: the hand computation. */
async function logProbsByPosition(modelFile: string, ids: readonly number[]): Promise<Float64Array[]> {
  const session = await ort.InferenceSession.create(modelFile, { intraOpNumThreads: 1 });
  try {
    const feeds: Record<string, ort.Tensor> = {};
    for (const meta of session.inputMetadata as ort.InferenceSession.TensorValueMetadata[]) {
      if (meta.name === 'input_ids') feeds[meta.name] = new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]);
      else if (meta.name === 'attention_mask') feeds[meta.name] = new ort.Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]);
      else if (meta.name === 'position_ids')
        feeds[meta.name] = new ort.Tensor(
          'int64',
          BigInt64Array.from(ids, (_, i) => BigInt(i)),
          [1, ids.length],
        );
      else
        feeds[meta.name] =
          meta.type === 'float16'
            ? new ort.Tensor('float16', new Uint16Array(0), [1, 2, 0, 16])
            : new ort.Tensor('float32', new Float32Array(0), [1, 2, 0, 16]);
    }
    const logits = asFloat32((await session.run(feeds)).logits!);
    const vocabulary = logits.length / ids.length;
    return ids.map((_, i) => logSoftmax(logits.subarray(i * vocabulary, (i + 1) * vocabulary)));
  } finally {
    await session.release();
  }
}

/** The Hugging Face guide's loop, written out: each window scores the tokens past the previous window's end. */
async function handScoredTokens(modelFile: string, ids: readonly number[]): Promise<{ position: number; logProbs: Float64Array }[]> {
  const scored: { position: number; logProbs: Float64Array }[] = [];
  let previousEnd = 0;
  for (let begin = 0; begin < ids.length; begin += STRIDE) {
    const end = Math.min(begin + CONTEXT, ids.length);
    const rows = await logProbsByPosition(modelFile, ids.slice(begin, end));
    for (let j = Math.max(previousEnd, begin + 1); j < end; j++) scored.push({ position: j, logProbs: rows[j - begin - 1]! });
    previousEnd = end;
    if (end === ids.length) break;
  }
  return scored;
}

describe('perplexity task on a real transformers.js export (llama-tjs fp32 and q4f16)', () => {
  let plan: RunPlan;
  let ids: number[];
  beforeAll(async () => {
    plan = await planOf(suiteText());
    ids = loadTokenizer(`${LLAMA}/tokenizer.json`, 'test').encode(CORPUS);
  });

  it('cuts the corpus into windows, and the reference perplexity equals the hand computation', async () => {
    expect(ids.length).toBeGreaterThan(2 * CONTEXT);
    expect(plan.dataset.examples.length).toBe(plan.variants[0]!.examples.length);
    const score = perplexityStatistics(await runWindows(plan, 'fp32'), plan.task.storedReference);
    const hand = await handScoredTokens(`${LLAMA}/onnx/model.onnx`, ids);
    const nll = hand.map(({ position, logProbs }) => -logProbs[ids[position]!]!);
    expect(score.tokens).toBe(ids.length - 1);
    expect(nll.length).toBe(ids.length - 1);
    expect(score.value).toBeCloseTo(Math.exp(nll.reduce((a, b) => a + b, 0) / nll.length), 4);
    expect(score.ci95.lower).toBeLessThan(score.value);
    expect(score.ci95.upper).toBeGreaterThan(score.value);
    expect(score.ci95Windows!.lower).toBeLessThan(score.value);
    expect(score.ci95Windows!.upper).toBeGreaterThan(score.value);
  });

  it('the reference against its own stored distributions: KLD 0, same top-1 everywhere, Δp 0', async () => {
    const d = perplexityStatistics(await runWindows(plan, 'fp32'), plan.task.storedReference).divergence!;
    expect(Math.abs(d.kld.mean)).toBeLessThan(1e-6);
    expect(Math.abs(d.kld.max)).toBeLessThan(1e-5);
    expect(d.sameTop1).toBe(1);
    expect(d.deltaP.rms).toBeLessThan(1e-6);
  });

  it('q4f16 against fp32: KLD above 0, and per token at most the full-vocabulary KLD', async () => {
    const windows = await runWindows(plan, 'q4f16');
    const d = perplexityStatistics(windows, plan.task.storedReference).divergence!;
    expect(d.kld.mean).toBeGreaterThan(1e-4);
    expect(d.kld.p99).toBeGreaterThanOrEqual(d.kld.median);
    const reference = await handScoredTokens(`${LLAMA}/onnx/model.onnx`, ids);
    const candidate = await handScoredTokens(`${LLAMA}/onnx/model_q4f16.onnx`, ids);
    const full = reference.map((r, i) => fullKlDivergence(r.logProbs, candidate[i]!.logProbs));
    const stored = windows.flatMap((w) => w.kld);
    // float32 storage of the reference: a slack of 1e-5 nats.
    stored.forEach((kld, i) => expect(kld).toBeLessThanOrEqual(full[i]! + 1e-5));
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    expect(mean(stored)).toBeLessThan(mean(full));
    // Δp is on the actual next token: q(token) − p(token).
    const deltaP = reference.map((r, i) => Math.exp(candidate[i]!.logProbs[ids[r.position]!]!) - Math.exp(r.logProbs[ids[r.position]!]!));
    windows.flatMap((w) => w.deltaP).forEach((dp, i) => expect(dp).toBeCloseTo(deltaP[i]!, 3));
  });

  it('with every token stored (k = vocabulary), the stored KLD is the full-vocabulary KLD', async () => {
    const whole = await planOf(suiteText({ topK: 459 }), 'whole.yaml');
    const stored = (await runWindows(whole, 'q4f16')).flatMap((w) => w.kld);
    const reference = await handScoredTokens(`${LLAMA}/onnx/model.onnx`, ids);
    const candidate = await handScoredTokens(`${LLAMA}/onnx/model_q4f16.onnx`, ids);
    stored.forEach((kld, i) => expect(kld).toBeCloseTo(fullKlDivergence(reference[i]!.logProbs, candidate[i]!.logProbs), 4));
  });

  it('stores the reference once, hashed and named, and reuses it while the model and the tokens are the same', async () => {
    const record = plan.task.storedReference!;
    const file = project.path('ref-8.topk');
    expect(record.file).toContain('ref-8.topk');
    expect(record.sha256).toBe(
      createHash('sha256')
        .update(await readFile(file))
        .digest('hex'),
    );
    const stored = (await readTopK(file))!.reference;
    expect(stored.header.reference.variant).toBe('fp32');
    expect(stored.rows.length).toBe(ids.length - 1);
    expect(stored.rows.every((r) => r.ids.length === 8 && r.tailMass >= 0 && r.tailMass < 1)).toBe(true);
    const before = (await stat(file)).mtimeMs;
    const again = await planOf(suiteText(), 'suite.yaml');
    expect((await stat(file)).mtimeMs).toBe(before);
    expect(again.task.storedReference!.sha256).toBe(record.sha256);
  });

  it('a device needs only the stored file: without the reference variant, the file is read', async () => {
    const onlyQuantized = await planOf(
      suiteText({ variants: `  - { name: q4f16, precision: q4f16, file: ${LLAMA}/onnx/model_q4f16.onnx }` }),
      'quantized-only.yaml',
    );
    expect(onlyQuantized.task.storedReference!.reference).toBe('fp32');
    const d = perplexityStatistics(await runWindows(onlyQuantized, 'q4f16'), onlyQuantized.task.storedReference).divergence!;
    expect(d.kld.mean).toBeGreaterThan(0);
  });
});

describe('perplexity task on the demo decoder', () => {
  it('fp32 against itself is 0, int4 against fp32 is above 0', async () => {
    const plan = await planOf(
      suiteText({
        reference: 'demo.topk',
        variants: `  - { name: fp32, precision: fp32, file: demo/onnx/model.onnx }\n  - { name: int4, manifest: ${demoInt4Manifest} }`,
      }),
      'demo.yaml',
    );
    const fp32 = perplexityStatistics(await runWindows(plan, 'fp32'), plan.task.storedReference);
    const int4 = perplexityStatistics(await runWindows(plan, 'int4'), plan.task.storedReference);
    expect(fp32.tokens).toBe(Buffer.byteLength(CORPUS) - 1);
    expect(Math.abs(fp32.divergence!.kld.mean)).toBeLessThan(1e-6);
    expect(int4.divergence!.kld.mean).toBeGreaterThan(1e-5);
    expect(int4.divergence!.sameTop1).toBeLessThanOrEqual(1);
  });
});

describe('perplexity task refusals', () => {
  const refusal = async (text: string, file: string) => {
    try {
      await planOf(text, file);
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error('the plan was accepted');
  };

  it('an empty corpus, a JSON-lines corpus with a bad line or no text, and a binary file', async () => {
    await project.write('empty.txt', '  \n\n');
    expect(await refusal(suiteText({ dataset: 'empty.txt' }), 'empty.yaml')).toMatch(/empty\.txt: the corpus has no text/);
    await project.write('bad.jsonl', '{"text": "fine"}\n{"text": \n{"title": "no text"}\n{"text": 3}\n');
    const bad = await refusal(suiteText({ dataset: 'bad.jsonl' }), 'bad.yaml');
    expect(bad).toMatch(/bad\.jsonl:2: not valid JSON/);
    expect(bad).toMatch(/bad\.jsonl:3: text: the line has no "text"/);
    expect(bad).toMatch(/bad\.jsonl:4: text: "text" is number, not a string/);
    await writeFile(project.path('binary.txt'), Buffer.from([0x66, 0x6f, 0xff, 0xfe, 0x00, 0x80]));
    expect(await refusal(suiteText({ dataset: 'binary.txt' }), 'binary.yaml')).toMatch(/binary\.txt:1: the corpus is not UTF-8 text/);
    expect(await refusal(suiteText({ dataset: 'missing.txt' }), 'missing.yaml')).toMatch(/corpus .*missing\.txt not found/);
  });

  it('a corpus of one token, too few iterations, a stride longer than the context, no reference', async () => {
    await project.write('one.jsonl', '{"text": "a"}\n');
    const byteVariant = `  - { name: fp32, precision: fp32, file: demo/onnx/model.onnx }`;
    expect(await refusal(suiteText({ dataset: 'one.jsonl', variants: byteVariant, reference: 'one.topk' }), 'one.yaml')).toMatch(
      /encodes to 1 token: perplexity needs at least 2/,
    );
    expect(await refusal(suiteText({ iterations: 2 }), 'few.yaml')).toMatch(
      /iterations: .* windows .* but iterations is 2\n {2}fix: set iterations to at least/,
    );
    expect(await refusal(suiteText({ stride: 30 }), 'stride.yaml')).toMatch(/perplexity.stride: stride 30 is longer than the context \(24\)/);
    expect(
      await refusal(
        suiteText({ reference: 'none.topk', variants: `  - { name: q4f16, precision: q4f16, file: ${LLAMA}/onnx/model_q4f16.onnx }` }),
        'noref.yaml',
      ),
    ).toMatch(/perplexity.reference: no reference variant/);
  });

  it('a stored file that is not one is refused when no reference variant can compute it again', async () => {
    await project.write('garbage.topk', 'not a reference');
    expect(
      await refusal(
        suiteText({ reference: 'garbage.topk', variants: `  - { name: q4f16, precision: q4f16, file: ${LLAMA}/onnx/model_q4f16.onnx }` }),
        'garbage.yaml',
      ),
    ).toMatch(/garbage\.topk is not a stored reference \(it does not start with EBTOPK01\)/);
  });
});
