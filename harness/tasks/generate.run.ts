import type { DecoderCacheLayout } from '../core/model-config.ts';
import { logSoftmax } from '../stats/fidelity.ts';
import { argmax } from '../stats/argmax.ts';
import type { RuntimeSession, ValueDescription } from '../runtimes/runtime.ts';
import { float32Values, tensor, type NamedTensors, type Tensor } from '../runtimes/tensor.ts';
import { elapsedMs, nowMs } from './clock.ts';
import { stopTokenCheck } from './stop-tokens.ts';
import type { IterationResult, TaskRunner, TaskRunnerFactory } from './task.ts';
import type { WorkloadTest } from '../core/workload.ts';

/** Element types a KV cache or logits may have: what onnxruntime's JavaScript tensors hold (they have no bfloat16). */
const FLOAT_TYPES = ['float32', 'float16'] as const;
type FloatType = (typeof FLOAT_TYPES)[number];
type IntegerType = 'int64' | 'int32';

/** One past input, the present output that feeds it next step, and the shape of its first (empty or shared) value. */
interface CacheEntry {
  past: string;
  present: string;
  type: FloatType;
  heads: number;
  headDim: number;
}

/** How one step fills a declared input: from the step's tokens and the length already in the cache. */
type InputFiller = (tokens: readonly bigint[], pastLength: number) => Tensor;

const DEFAULT_NAMES = {
  pastKey: 'past_key_values.%d.key',
  pastValue: 'past_key_values.%d.value',
  presentKey: 'present.%d.key',
  presentValue: 'present.%d.value',
};

/**
 * Greedy decoding with a KV cache over the decoder layouts exporters produce:
 * Hugging Face Optimum / transformers.js (input_ids, attention_mask,
 * position_ids when declared, past_key_values.N.key/value -> present.N.*),
 * Optimum's merged decoder (use_cache_branch false on the first step with an
 * empty past, then true), GPT-2, and onnxruntime-genai (names from
 * genai_config.json; GroupQueryAttention's seqlens_k and total_sequence_length
 * when the graph takes them as inputs; past buffers allocated at max_length
 * when it shares past and present). Every tensor takes the type the graph
 * declares (float16 or float32 cache and logits, int64 or int32 ids); logits
 * are read as float32 for argmax and fidelity.
 */
export const generateTask: TaskRunnerFactory<'generate'> = (session, spec) => {
  const cache = spec.cache ?? {};
  const entries = cacheEntries(session, cache);
  const fillers = inputFillers(session, entries);
  const logitsName = logitsOutput(session);
  const isStopToken = stopTokenCheck(spec.stopTokenIds);
  const stepTokens = tokensPerStep(session);

  const firstPast = (entry: CacheEntry): Tensor => {
    const length = cache.sharedBufferLength ?? 0;
    const size = entry.heads * length * entry.headDim;
    // float16 as its binary16 bits: zero bits are 0.0, and onnxruntime-node takes Uint16Array where Float16Array is missing (Node.js 20).
    return tensor(entry.type, entry.type === 'float16' ? new Uint16Array(size) : new Float32Array(size), [1, entry.heads, length, entry.headDim]);
  };

  // Built outside the timed span and handed to the runtime in its own form, so a step's span holds inference only.
  const stepFeeds = (tokens: bigint[], past: Map<string, Tensor>, pastLength: number): NamedTensors => {
    const feeds: NamedTensors = {};
    for (const [name, fill] of fillers) feeds[name] = fill(tokens, pastLength);
    for (const entry of entries) feeds[entry.past] = past.get(entry.past) ?? firstPast(entry);
    return session.prepare(feeds);
  };

  /**
   * One step of the decoder: its session.run and the argmax of its last logits, timed together. A graph fixed at
   * one token per step takes several tokens one at a time; the span covers them all.
   */
  const timedStep = async (tokens: bigint[], past: Map<string, Tensor>, pastLength: number) => {
    let spanMs = 0;
    let outputs: NamedTensors = {};
    let length = pastLength;
    for (let at = 0; at < tokens.length; at += stepTokens) {
      const piece = tokens.slice(at, at + stepTokens);
      const feeds = stepFeeds(piece, past, length);
      const start = nowMs();
      outputs = await session.run(feeds);
      spanMs += elapsedMs(start);
      length += piece.length;
      past = new Map(entries.map((entry) => [entry.past, outputs[entry.present]!]));
    }
    const start = nowMs();
    const logits = lastPositionLogits(outputs[logitsName]!);
    const token = argmax(logits);
    spanMs += elapsedMs(start);
    return { outputs, logits, token, spanMs, past };
  };

  /** A synthetic workload test (core/workload.ts): pp times one prefill; tg fills the cache to its depth untimed, then times each decode step. */
  const workloadIteration = async (test: WorkloadTest, ids: bigint[]): Promise<IterationResult> => {
    if (test.kind === 'pp') {
      const { spanMs } = await timedStep(ids.slice(0, test.timedTokens), new Map(), 0);
      return { latencyMs: spanMs, ttftMs: spanMs, decodeMs: [] };
    }
    let past = new Map<string, Tensor>();
    let pastLength = 0;
    if (test.depthTokens > 0) {
      ({ past } = await timedStep(ids.slice(0, test.depthTokens), past, 0));
      pastLength = test.depthTokens;
    }
    const decodeMs: number[] = [];
    for (let i = 0; i < test.timedTokens; i++) {
      const step = await timedStep([ids[pastLength]!], past, pastLength);
      decodeMs.push(step.spanMs);
      past = step.past;
      pastLength += 1;
    }
    return { latencyMs: decodeMs.reduce((sum, ms) => sum + ms, 0), decodeMs };
  };

  const runner: TaskRunner = {
    async iterate(example, wantOutput) {
      const prompt = Array.from(example.feeds.input_ids!.data as BigInt64Array, BigInt);
      const test = spec.workload?.[example.id];
      if (test) {
        try {
          return await workloadIteration(test, prompt);
        } catch (error) {
          const where = test.kind === 'pp' ? `a ${test.timedTokens}-token prefill` : `depth ${test.depthTokens} + ${test.timedTokens} decoded tokens`;
          throw new Error(`workload test ${example.id} (${where}): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
        }
      }
      const tokenIds: number[] = [];
      const tokenProbabilities: number[] = [];
      const decodeMs: number[] = [];
      let firstTokenLogits: number[] = [];
      let past = new Map<string, Tensor>();
      let pastLength = 0;
      let next = prompt;
      let ttftMs = 0;
      while (tokenIds.length < spec.maxNewTokens) {
        const step = await timedStep(next, past, pastLength);
        const { logits, token, spanMs } = step;
        const first = pastLength === 0;
        if (first) ttftMs = spanMs;
        else decodeMs.push(spanMs);
        if (wantOutput) {
          if (first) firstTokenLogits = Array.from(logits);
          tokenProbabilities.push(Math.exp(logSoftmax(logits)[token]!));
        }
        pastLength += next.length;
        past = step.past;
        if (isStopToken(token)) break;
        tokenIds.push(token);
        next = [BigInt(token)];
      }
      const latencyMs = ttftMs + decodeMs.reduce((sum, ms) => sum + ms, 0);
      return { latencyMs, ttftMs, decodeMs, ...(wantOutput ? { output: { kind: 'generate', tokenIds, firstTokenLogits, tokenProbabilities } } : {}) };
    },
  };
  return runner;
};

/** A %d name pattern as a regular expression capturing the layer number. */
function layerPattern(pattern: string): RegExp {
  const [before, after] = pattern.split('%d').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${before}(\\d+)${after}$`);
}

function isFloatType(type: string | undefined): type is FloatType {
  return (FLOAT_TYPES as readonly string[]).includes(type ?? '');
}

/** The past key and value input names of a cache layout, as patterns capturing the layer number. */
export function cacheNamePatterns(cache: DecoderCacheLayout): [RegExp, RegExp] {
  const names = cache.names ?? DEFAULT_NAMES;
  return [layerPattern(names.pastKey), layerPattern(names.pastValue)];
}

function cacheEntries(session: RuntimeSession, cache: DecoderCacheLayout): CacheEntry[] {
  const names = cache.names ?? DEFAULT_NAMES;
  const outputNames = new Set(session.outputs.map((o) => o.name));
  const halves = [
    { pattern: layerPattern(names.pastKey), present: names.presentKey },
    { pattern: layerPattern(names.pastValue), present: names.presentValue },
  ];
  const entries: CacheEntry[] = [];
  for (const meta of session.inputs) {
    const half = halves.find((h) => h.pattern.test(meta.name));
    if (!half) continue;
    const present = half.present.replace('%d', half.pattern.exec(meta.name)![1]!);
    if (!outputNames.has(present)) throw new Error(`the model has input ${meta.name} but no output ${present}: its past and present names do not pair up`);
    if (!isFloatType(meta.type)) {
      throw new Error(
        `${meta.name} is ${meta.type ?? 'not a tensor'}: the generate task feeds float32 or float16 KV caches` +
          (meta.type === 'bfloat16' ? " (onnxruntime's JavaScript API has no bfloat16 tensors)" : ''),
      );
    }
    const shape = meta.shape ?? [];
    const heads = typeof shape[1] === 'number' ? shape[1] : cache.kvHeads;
    const headDim = typeof shape[3] === 'number' ? shape[3] : cache.headDim;
    if (heads === undefined || headDim === undefined) {
      throw new Error(
        `${meta.name} names its head count or head size symbolically (shape ${JSON.stringify(shape)}) and no config.json or genai_config.json ` +
          'beside the model gives num_key_value_heads and head_dim (or hidden_size and num_attention_heads)',
      );
    }
    entries.push({ past: meta.name, present, type: meta.type, heads, headDim });
  }
  if (entries.length === 0) {
    const expected = cache.names ? `${names.pastKey.replace('%d', 'N')}/${names.pastValue.replace('%d', 'N')}` : 'past_key_values.N.key/value';
    throw new Error(`the model has no ${expected} inputs: the generate task needs a decoder exported with past (KV cache)`);
  }
  return entries;
}

/**
 * Tokens one step may take: any number, unless input_ids fixes its sequence axis at 1 (a decode-step graph
 * exported with static shapes, which takes the prompt one token per step).
 */
function tokensPerStep(session: RuntimeSession): number {
  const length = session.inputs.find((meta) => meta.name === 'input_ids')?.shape?.[1];
  if (typeof length !== 'number') return Number.POSITIVE_INFINITY;
  if (length === 1) return 1;
  throw new Error(
    `input_ids has a fixed sequence length of ${length}: the generate task feeds a whole prompt per step, or one token per step to a graph fixed at [1, 1]`,
  );
}

function integerType(meta: ValueDescription): IntegerType {
  if (meta.type === 'int64' || meta.type === 'int32') return meta.type;
  throw new Error(`input ${meta.name} is ${meta.type ?? 'not a tensor'}: the generate task feeds it as int64 or int32`);
}

function integers(type: IntegerType, values: readonly number[], dims: readonly number[]): Tensor {
  return type === 'int64' ? tensor('int64', BigInt64Array.from(values, BigInt), dims) : tensor('int32', Int32Array.from(values), dims);
}

/** A filler for each declared input that is not a past: what that input means in the layouts above. */
function inputFillers(session: RuntimeSession, entries: readonly CacheEntry[]): Map<string, InputFiller> {
  const pasts = new Set(entries.map((entry) => entry.past));
  const fillers = new Map<string, InputFiller>();
  for (const meta of session.inputs) {
    if (pasts.has(meta.name)) continue;
    fillers.set(meta.name, inputFiller(meta));
  }
  if (!fillers.has('input_ids')) throw new Error('the model has no input_ids input');
  return fillers;
}

function inputFiller(meta: ValueDescription): InputFiller {
  switch (meta.name) {
    case 'input_ids': {
      const type = integerType(meta);
      return (tokens) =>
        type === 'int64' ? tensor('int64', BigInt64Array.from(tokens), [1, tokens.length]) : integers(type, tokens.map(Number), [1, tokens.length]);
    }
    case 'attention_mask': {
      const type = integerType(meta);
      return (tokens, pastLength) => integers(type, new Array<number>(pastLength + tokens.length).fill(1), [1, pastLength + tokens.length]);
    }
    case 'position_ids': {
      const type = integerType(meta);
      return (tokens, pastLength) =>
        integers(
          type,
          tokens.map((_, i) => pastLength + i),
          [1, tokens.length],
        );
    }
    // Optimum's merged decoder: the branch without past for the prompt, the one with past afterwards.
    case 'use_cache_branch':
      return (_, pastLength) => tensor('bool', Uint8Array.of(pastLength > 0 ? 1 : 0), [1]);
    // GroupQueryAttention's own inputs, as onnxruntime-genai feeds them: the index of the last valid position per sequence, and the total length.
    case 'seqlens_k': {
      const type = integerType(meta);
      return (tokens, pastLength) => integers(type, [pastLength + tokens.length - 1], [1]);
    }
    case 'total_sequence_length': {
      const type = integerType(meta);
      return (tokens, pastLength) => integers(type, [pastLength + tokens.length], []);
    }
    default:
      throw new Error(
        `the model declares input ${meta.name}, which the generate task cannot feed ` +
          '(it feeds input_ids, attention_mask, position_ids, use_cache_branch, seqlens_k, total_sequence_length and the KV cache)',
      );
  }
}

function logitsOutput(session: RuntimeSession): string {
  const logits = session.outputs.find((o) => o.name === 'logits') ?? session.outputs[0]!;
  if (!isFloatType(logits.type))
    throw new Error(`output ${logits.name} is ${logits.type ?? 'not a tensor'}: the generate task reads float32 or float16 logits`);
  return logits.name;
}

/** float32 logits of the last sequence position of a [1, sequence, vocabulary] output, whatever float type it has. */
function lastPositionLogits(logits: Tensor): Float32Array {
  const vocabulary = logits.dims.at(-1)!;
  const data = logits.data;
  return float32Values({ type: logits.type, dims: [vocabulary], data: data.subarray(data.length - vocabulary) });
}
