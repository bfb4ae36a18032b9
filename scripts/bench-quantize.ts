/**
 * What quantization buys and costs on the demo models: bytes on disk, p50
 * latency (measured by the edgebench runner, one process per variant) and
 * fidelity against fp32 (max abs logit error, top-1 agreement, mean KL of the
 * class / next-token distributions). Also times the int8 methods against each
 * other, which is how the default int8 method was chosen.
 *
 * Then the int4 algorithms (rtn, gptq, gptaq, awq) on the trained decoder (scripts/bench-quantize-trained.ts), and the
 * unseen SLM's sizes and KL (scripts/bench-quantize-slm.ts).
 *
 * Then every variant of the trained demo decoder (fp16, int8, int4 rtn / awq / gptq / gptaq, q4f16) through edgebench's
 * generate and perplexity suites (scripts/bench-quantize-suites.ts): bytes, p50, decode tokens/s, perplexity, KL.
 *
 *   npm run bench:quantize [-- --iterations 300] [-- --slm-only] [-- --trained-only] [-- --suites-only]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { localDriver } from '../harness/devices/local.ts';
import { isGgufFile } from '../harness/gguf/gguf-inspection.ts';
import { buildPlan, type PlannedVariant } from '../harness/plan/plan.ts';
import { quantizeModel } from '../harness/quantize/quantize.ts';
import type { RunnerJob } from '../harness/core/runner-protocol.ts';
import { ortTensor } from '../harness/runtimes/onnxruntime-node.ts';
import { tensorFromSpec } from '../harness/runtimes/tensor.ts';
import { fidelity } from '../harness/stats/fidelity.ts';
import { percentileOfSorted, sortAscending } from '../harness/stats/percentile.ts';
import { benchSlm, type SlmVariant } from './bench-quantize-slm.ts';
import { benchDecoderSuites } from './bench-quantize-suites.ts';
import { benchTrainedDecoder, type TrainedVariant } from './bench-quantize-trained.ts';
import { buildDemoModels } from './demo/build.ts';

/** The variants measured on the unseen SLM, with the size targets. */
const SLM_VARIANTS: SlmVariant[] = [
  { name: 'fp16', options: { to: 'fp16' }, target: 0.51 },
  { name: 'int8', options: { to: 'int8' }, target: 0.3 },
  { name: 'int4 rtn', options: { to: 'int4' }, target: 0.18 },
  { name: 'int4 gptq', options: { to: 'int4', algorithm: 'gptq' }, target: 0.18 },
  { name: 'int4 gptaq', options: { to: 'int4', algorithm: 'gptaq' }, target: 0.18 },
  { name: 'int4 emb8', options: { to: 'int4', embeddings: 'int8' } },
  { name: 'q4f16', options: { to: 'q4f16' } },
  { name: 'q4f16 gptq', options: { to: 'q4f16', algorithm: 'gptq' } },
  { name: 'int4 awq', options: { to: 'int4', algorithm: 'awq' }, target: 0.18 },
  { name: 'q4f16 awq', options: { to: 'q4f16', algorithm: 'awq' } },
];

/** The int4 algorithms on the trained decoder. */
const TRAINED_VARIANTS: TrainedVariant[] = [
  { name: 'int4 rtn', options: { to: 'int4' } },
  { name: 'int4 gptq', options: { to: 'int4', algorithm: 'gptq' } },
  { name: 'int4 gptaq', options: { to: 'int4', algorithm: 'gptaq' } },
  { name: 'int4 rtn asym', options: { to: 'int4', symmetric: false } },
  { name: 'int4 gptq asym', options: { to: 'int4', algorithm: 'gptq', symmetric: false } },
  { name: 'int4 gptaq asym', options: { to: 'int4', algorithm: 'gptaq', symmetric: false } },
  { name: 'int4 gptq emb-b16', options: { to: 'int4', algorithm: 'gptq', embeddingBlockSize: 16 } },
  { name: 'int4 gptq emb8', options: { to: 'int4', algorithm: 'gptq', embeddings: 'int8' } },
  { name: 'int4 gptaq emb8', options: { to: 'int4', algorithm: 'gptaq', embeddings: 'int8' } },
  { name: 'int4 awq', options: { to: 'int4', algorithm: 'awq' } },
  { name: 'q4f16 rtn', options: { to: 'q4f16' } },
  { name: 'q4f16 awq', options: { to: 'q4f16', algorithm: 'awq' } },
  { name: 'q4f16 gptaq', options: { to: 'q4f16', algorithm: 'gptaq' } },
];

const { values } = parseArgs({
  options: {
    iterations: { type: 'string', default: '300' },
    'fidelity-examples': { type: 'string', default: '100' },
    'slm-only': { type: 'boolean', default: false },
    'trained-only': { type: 'boolean', default: false },
    'suites-only': { type: 'boolean', default: false },
  },
});
const iterations = Number(values.iterations);
const fidelityExamples = Number(values['fidelity-examples']);

const only = values['slm-only'] || values['trained-only'] || values['suites-only'];
if (!only) await benchDemoModels();
if (!only || values['suites-only']) await benchDecoderSuites();
if (!only || values['trained-only']) await benchTrainedDecoder(TRAINED_VARIANTS);
if (!only || values['slm-only']) await benchSlm(SLM_VARIANTS);

async function runnerP50(variant: PlannedVariant, runtime: RunnerJob['runtime'], task: RunnerJob['task']): Promise<number> {
  const outcome = await localDriver.runCell(
    { id: 'host', kind: 'local' },
    { modelPath: variant.modelPath, task, warmup: 30, iterations, runtime, examples: variant.examples },
    { timeoutMs: 600_000 },
  );
  const samples = outcome.events.flatMap((e) => (e.type === 'samples' && e.phase === 'timed' ? e.latenciesMs : []));
  if (samples.length !== iterations)
    throw new Error(`${variant.variant.name}: the runner failed: ${JSON.stringify(outcome.events.find((e) => e.type === 'error'))}`);
  return percentileOfSorted(sortAscending(samples), 0.5);
}

/** Full feeds for one forward pass: for a decoder, the prefill (mask, positions, empty KV cache). */
function forwardFeeds(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>): Record<string, ort.Tensor> {
  const ids = feeds.input_ids!;
  const length = ids.dims[1]!;
  const full: Record<string, ort.Tensor> = { ...feeds };
  for (const meta of session.inputMetadata) {
    if (full[meta.name] || !meta.isTensor) continue;
    if (meta.name === 'attention_mask') full[meta.name] = new ort.Tensor('int64', new BigInt64Array(length).fill(1n), [1, length]);
    else if (meta.name === 'position_ids')
      full[meta.name] = new ort.Tensor(
        'int64',
        BigInt64Array.from({ length }, (_, i) => BigInt(i)),
        [1, length],
      );
    else if (meta.name.startsWith('past_key_values.'))
      full[meta.name] = new ort.Tensor('float32', new Float32Array(0), [1, meta.shape[1] as number, 0, meta.shape[3] as number]);
  }
  return full;
}

/** The first output (logits) of each example, computed in this process: every position's next-token distribution for a decoder. */
async function logitsOf(modelPath: string, variant: PlannedVariant): Promise<{ rows: Float32Array[]; width: number }> {
  const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 1 });
  const rows: Float32Array[] = [];
  let width = 0;
  for (const example of variant.examples.slice(0, fidelityExamples)) {
    const feeds = Object.fromEntries(Object.entries(example.feeds).map(([k, v]) => [k, ortTensor(tensorFromSpec(v))]));
    const logits = (await session.run(forwardFeeds(session, feeds)))[session.outputNames[0]!]!;
    width = logits.dims.at(-1)!;
    rows.push(logits.data as Float32Array);
  }
  await session.release();
  return { rows, width };
}

async function benchDemoModels(): Promise<void> {
  await buildDemoModels('models/demo');
  for (const suiteFile of ['suites/demo.yaml', 'suites/demo-decoder.yaml']) {
    const plan = await buildPlan({ suiteFile, devicesFile: 'devices.yaml', deviceIds: ['host'] });
    const reference = plan.variants.find((v) => v.variant.precision === 'fp32');
    if (!reference) throw new Error(`${suiteFile} has no fp32 variant to compare with`);
    const referenceLogits = await logitsOf(reference.modelPath, reference);
    const what = plan.task.spec.kind === 'generate' ? `p50 of a whole generation of up to ${plan.task.spec.maxNewTokens} tokens` : 'p50 of one forward pass';
    console.log(
      `\n${plan.suite.name} (${suiteFile}): ${iterations} timed iterations per variant (${what}), fidelity over ${referenceLogits.rows.length} examples (${plan.task.spec.kind === 'generate' ? 'every next-token position of each prompt' : 'class distributions'})`,
    );
    console.log('variant        bytes        vs fp32   p50 ms   max|dlogit|  top-1 agree  mean KL');
    // ONNX variants only: the logits here come from onnxruntime sessions, and a GGUF file runs on llama.cpp.
    for (const variant of plan.variants.filter((v) => !isGgufFile(v.modelPath))) {
      const p50 = await runnerP50(variant, plan.suite.runtime, plan.task.spec);
      const f = fidelity(referenceLogits.rows, (await logitsOf(variant.modelPath, variant)).rows, referenceLogits.width);
      console.log(
        `${variant.variant.name.padEnd(14)} ${String(variant.variant.diskBytes).padStart(10)}  ${(variant.variant.diskBytes / reference.variant.diskBytes).toFixed(3).padStart(8)}  ${p50.toFixed(4).padStart(7)}  ${f.maxAbsLogitError.toExponential(2).padStart(11)}  ${(f.top1Agreement * 100).toFixed(1).padStart(10)}%  ${f.meanKlDivergence.toExponential(2)}`,
      );
    }

    // The int8 methods side by side, on the same fp32 source (how the default was chosen).
    const scratch = await mkdtemp(join(tmpdir(), 'edgebench-int8-'));
    const methods: string[] = [];
    for (const method of ['dynamic', 'qdq'] as const) {
      const { outputFile } = await quantizeModel({ input: reference.modelPath, output: join(scratch, `${method}.onnx`), to: 'int8', int8Method: method });
      methods.push(`${method} ${(await runnerP50({ ...reference, modelPath: outputFile }, plan.suite.runtime, plan.task.spec)).toFixed(4)} ms`);
    }
    console.log(`int8 method p50: ${methods.join(', ')}`);
    await rm(scratch, { recursive: true, force: true });
  }
}
