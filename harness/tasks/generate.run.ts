import { logSoftmax } from '../stats/fidelity.ts';
import { argmax } from '../stats/argmax.ts';
import type { RuntimeSession } from '../runtimes/runtime.ts';
import { tensor, type NamedTensors, type Tensor } from '../runtimes/tensor.ts';
import { elapsedMs, nowMs } from './clock.ts';
import { stopTokenCheck } from './stop-tokens.ts';
import type { TaskRunner, TaskRunnerFactory } from './task.ts';

interface CacheLayout {
  /** past_key_values.N.key -> present.N.key, for every layer and both halves. */
  pastToPresent: Map<string, string>;
  /** [heads, headDim] of each past input, from the model's declared shapes. */
  pastShape: Map<string, [number, number]>;
}

/**
 * Greedy decoding with a KV cache over a decoder exported in the Hugging Face
 * Optimum / transformers.js layout: inputs input_ids, attention_mask,
 * position_ids (when present), past_key_values.N.key/value; outputs logits and
 * present.N.key/value. The first run (prefill) gets the prompt and empty past
 * tensors; every later run gets one token and the previous run's present tensors.
 */
export const generateTask: TaskRunnerFactory<'generate'> = (session, spec) => {
  const layout = cacheLayout(session);
  const inputs = new Set(session.inputs.map((i) => i.name));
  const outputNames = session.outputs.map((o) => o.name);
  const logitsName = outputNames.includes('logits') ? 'logits' : outputNames[0]!;
  const isStopToken = stopTokenCheck(spec.stopTokenIds);

  // Built outside the timed span and handed to the runtime in its own form, so a step's span holds inference only.
  const stepFeeds = (tokens: bigint[], past: Map<string, Tensor>, pastLength: number): NamedTensors => {
    const total = pastLength + tokens.length;
    const feeds: NamedTensors = { input_ids: tensor('int64', BigInt64Array.from(tokens), [1, tokens.length]) };
    if (inputs.has('attention_mask')) feeds.attention_mask = tensor('int64', new BigInt64Array(total).fill(1n), [1, total]);
    if (inputs.has('position_ids'))
      feeds.position_ids = tensor(
        'int64',
        BigInt64Array.from(tokens, (_, i) => BigInt(pastLength + i)),
        [1, tokens.length],
      );
    if (inputs.has('use_cache_branch')) feeds.use_cache_branch = tensor('bool', Uint8Array.of(pastLength > 0 ? 1 : 0), [1]);
    for (const [name, [heads, headDim]] of layout.pastShape) feeds[name] = past.get(name) ?? tensor('float32', new Float32Array(0), [1, heads, 0, headDim]);
    return session.prepare(feeds);
  };

  const runner: TaskRunner = {
    async iterate(example, wantOutput) {
      const prompt = Array.from(example.feeds.input_ids!.data as BigInt64Array);
      const tokenIds: number[] = [];
      const tokenProbabilities: number[] = [];
      const decodeMs: number[] = [];
      let firstTokenLogits: number[] = [];
      let past = new Map<string, Tensor>();
      let pastLength = 0;
      let next = prompt;
      let ttftMs = 0;
      while (tokenIds.length < spec.maxNewTokens) {
        const feeds = stepFeeds(next, past, pastLength);
        const start = nowMs();
        const outputs = await session.run(feeds);
        const logits = lastPositionLogits(outputs[logitsName]!);
        const token = argmax(logits);
        const spanMs = elapsedMs(start);
        if (pastLength === 0) ttftMs = spanMs;
        else decodeMs.push(spanMs);
        if (wantOutput) {
          if (pastLength === 0) firstTokenLogits = Array.from(logits);
          tokenProbabilities.push(Math.exp(logSoftmax(logits)[token]!));
        }
        pastLength += next.length;
        past = new Map([...layout.pastToPresent].map(([pastName, presentName]) => [pastName, outputs[presentName]!]));
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

function cacheLayout(session: RuntimeSession): CacheLayout {
  const pastToPresent = new Map<string, string>();
  const pastShape = new Map<string, [number, number]>();
  const outputNames = session.outputs.map((o) => o.name);
  for (const meta of session.inputs) {
    const match = /^past_key_values\.(\d+)\.(key|value)$/.exec(meta.name);
    if (!match) continue;
    const present = `present.${match[1]}.${match[2]}`;
    if (!outputNames.includes(present)) throw new Error(`the model has input ${meta.name} but no output ${present}: not an Optimum-layout decoder with past`);
    const shape = meta.shape ?? [];
    const [heads, headDim] = [shape[1], shape[3]];
    if (typeof heads !== 'number' || typeof headDim !== 'number') {
      throw new Error(
        `${meta.name} does not declare its number of heads and head size (shape ${JSON.stringify(shape)}); re-export the model with static head dimensions`,
      );
    }
    pastToPresent.set(meta.name, present);
    pastShape.set(meta.name, [heads, headDim]);
  }
  if (pastToPresent.size === 0)
    throw new Error('the model has no past_key_values.N.key/value inputs: the generate task needs a decoder exported with past (KV cache)');
  if (!session.inputs.some((i) => i.name === 'input_ids')) throw new Error('the model has no input_ids input');
  return { pastToPresent, pastShape };
}

/** Logits of the last sequence position of a [1, sequence, vocabulary] output. */
function lastPositionLogits(logits: Tensor): Float32Array {
  const vocabulary = logits.dims.at(-1)!;
  const data = logits.data as Float32Array;
  return data.subarray(data.length - vocabulary);
}
