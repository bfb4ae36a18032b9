import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp';
import { llamaBinding, NODE_LLAMA_CPP_VERSION, nodeLlamaCppDir } from './llama-cpp-binding.ts';
import { LLAMA_CPP_OUTPUTS, LLAMA_LOG_FLOOR, llamaCppStep, llamaCppValues } from './llama-cpp-session-layout.ts';
import type { RunOptions, Runtime, RuntimeSession } from './runtime.ts';
import { tensor, type NamedTensors, type Tensor } from './tensor.ts';

/** The context llama.cpp allocates: the model's own length, capped so a long-context model does not reserve gigabytes of KV cache. */
const MAX_CONTEXT = 4096;

function llamaCppRelease(): string {
  try {
    // Not importable (the package exports only "."): read from its folder.
    return (JSON.parse(readFileSync(join(nodeLlamaCppDir(), 'llama/llama.cpp.info.json'), 'utf8')) as { tag: string }).tag;
  } catch {
    return 'unknown';
  }
}

/**
 * llama.cpp through node-llama-cpp's prebuilt CPU binary: loads a GGUF file
 * and runs a decoder step by step on the token ids the task gives it (the
 * same ids as the ONNX path: llama.cpp's own tokenizer is never used). Each
 * step returns the last position's logits, recovered from llama.cpp's full
 * softmax over the vocabulary with the greedy sampler, which leaves the logits
 * as they are: log p differs from the logits by a constant, which argmax,
 * softmax and KL divergence do not see.
 */
export const llamaCpp: Runtime = {
  name: 'llama.cpp',
  version: () => `${NODE_LLAMA_CPP_VERSION} (llama.cpp ${llamaCppRelease()})`,
  // node-llama-cpp loads its binary and, on Linux, first tests it in a child process: seconds that are not the model's.
  start: async () => {
    await llamaBinding();
  },
  async load(model, options) {
    const llama = await llamaBinding();
    const loaded = await llama.loadModel({ modelPath: model.location, gpuLayers: 0, useMmap: true });
    const contextSize = Math.min(loaded.trainContextSize, MAX_CONTEXT);
    const threads = options.intraOpThreads ?? llama.cpuMathCores;
    const context = await loaded.createContext({ contextSize, batchSize: contextSize, threads, sequences: 1 });
    return llamaCppSession(loaded, context.getSequence(), async () => {
      await context.dispose();
      await loaded.dispose();
    });
  },
};

function llamaCppSession(model: LlamaModel, sequence: LlamaContextSequence, dispose: () => Promise<void>): RuntimeSession {
  // The logits row is as long as the embedding table (ne[1] of token_embd.weight).
  const embedding = model.fileInfo.tensorInfo?.find((t) => t.name === 'token_embd.weight');
  const vocabulary = Number(embedding?.dimensions[1] ?? 0);
  if (!vocabulary) throw new Error('the GGUF file has no token_embd.weight tensor: it is not a decoder language model');
  const values = llamaCppValues(vocabulary);
  const lengthOnly = (length: number): Tensor => tensor('float32', new Float32Array(0), [1, 1, length, 0]);
  return {
    inputs: values.inputs.map((v) => ({ ...v })),
    outputs: values.outputs.map((v) => ({ ...v })),
    prepare: (feeds) => feeds,
    async run(feeds: NamedTensors, options?: RunOptions) {
      const step = llamaCppStep(feeds, 'llama.cpp');
      const { pastLength } = step;
      // The cache is llama.cpp's: a step that starts over (or goes back) drops what lies beyond its past.
      if (sequence.nextTokenIndex > pastLength) {
        if (pastLength === 0) await sequence.clearHistory();
        else await sequence.eraseContextTokenRanges([{ start: pastLength, end: sequence.nextTokenIndex }]);
      }
      const tokens = step.tokens.map((id) => id as Token);
      // The positions whose next-token distribution is read: the last, or with everyPosition each of them.
      const scored = options?.everyPosition ? tokens.length : 1;
      const next = { generateNext: { probabilities: true, options: { temperature: 0 } } } as const;
      const input: Parameters<LlamaContextSequence['controlledEvaluate']>[0] = tokens.map((token, i) =>
        i >= tokens.length - scored ? ([token, next] as const) : token,
      );
      const results = await sequence.controlledEvaluate(input);
      const logits = new Float32Array(scored * vocabulary).fill(LLAMA_LOG_FLOOR);
      for (let row = 0; row < scored; row++) {
        const probabilities = results[tokens.length - scored + row]?.next?.probabilities;
        if (!probabilities) throw new Error('llama.cpp returned no next-token probabilities');
        const at = row * vocabulary;
        for (const [token, probability] of probabilities) if (token < vocabulary && probability > 0) logits[at + token] = Math.log(probability);
      }
      const total = pastLength + tokens.length;
      return {
        [LLAMA_CPP_OUTPUTS.logits]: tensor('float32', logits, [1, scored, vocabulary]),
        [LLAMA_CPP_OUTPUTS.presentKey]: lengthOnly(total),
        [LLAMA_CPP_OUTPUTS.presentValue]: lengthOnly(total),
      };
    },
    release: dispose,
  };
}
