/**
 * llama.cpp compiled to WebAssembly (@wllama/wllama), in the runner page: the
 * GGUF runtime of browser devices. The page imports wllama's own module and
 * puts it on globalThis before the runner starts (devices/browser/page.ts), so
 * the runner bundle carries no copy of it; this file imports only its types.
 */
// Its esm/index.d.ts re-exports without file extensions, which NodeNext resolution does not follow.
import type * as WllamaModule from '@wllama/wllama/esm/wllama.js';
import wllamaPackage from '@wllama/wllama/package.json' with { type: 'json' };
import { LLAMA_CPP_OUTPUTS, LLAMA_LOG_FLOOR, llamaCppStep, llamaCppValues } from './llama-cpp-session-layout.ts';
import type { RunOptions, Runtime, RuntimeSession } from './runtime.ts';
import { tensor, type NamedTensors, type Tensor } from './tensor.ts';

/** The same cap on the context as the llama.cpp runtime in Node.js, so both allocate the same KV cache. */
const MAX_CONTEXT = 4096;

export interface WllamaSettings {
  /** Folder URL of wllama's esm/ files: single-thread/wllama.wasm and multi-thread/wllama.wasm under it. */
  wasmPaths: string;
  /** llama.cpp's n_threads: 1 loads the single-thread build, more the multi-thread one (needs cross-origin isolation). */
  threads: number;
  /** The model's training context length from its GGUF header, when the driver could read it. */
  contextLength?: number;
}

function pageWllama(): typeof WllamaModule {
  const module = (globalThis as { wllama?: typeof WllamaModule }).wllama;
  if (!module) throw new Error('wllama is not on the page: the page must import /wllama/index.js and set globalThis.wllama before the runner');
  return module;
}

/**
 * wllama's logger without its per-step debug lines. llama.cpp's own errors
 * stay in the browser console and are kept: when a load fails, wllama's error
 * is about its reply (e.g. "Invalid typed array length"), llama.cpp's says what is wrong with the file.
 */
function pageLogger() {
  const errors: string[] = [];
  return {
    errors,
    logger: {
      debug: () => undefined,
      log: () => undefined,
      warn: console.warn,
      error: (...data: unknown[]) => {
        errors.push(data.map(String).join(' '));
        console.error(...data);
      },
    },
  };
}

/**
 * wllama as a Runtime: loads a GGUF file fetched from the page server and runs
 * a decoder step by step on the token ids the task gives it (the ids of every
 * other runtime: wllama's tokenizer is never used). Each step returns the last
 * position's logits, recovered from wllama's softmax over the whole vocabulary
 * (getLogits(-1)): log p differs from the logits by a constant, which argmax,
 * softmax and KL divergence do not see, as in the llama.cpp runtime in Node.js.
 */
export function wllamaRuntime(settings: WllamaSettings): Runtime {
  const { Wllama } = pageWllama();
  return {
    name: 'wllama',
    version: () => `${wllamaPackage.version} (llama.cpp ${Wllama.getLibllamaVersion()})`,
    async load(model) {
      const response = await fetch(model.location);
      if (!response.ok) throw new Error(`${model.location} answered HTTP ${response.status}`);
      const blob = await response.blob();
      const { logger, errors } = pageLogger();
      const wllama = new Wllama(
        {
          'single-thread/wllama.wasm': `${settings.wasmPaths}single-thread/wllama.wasm`,
          'multi-thread/wllama.wasm': `${settings.wasmPaths}multi-thread/wllama.wasm`,
        },
        { logger, allowOffline: true },
      );
      const contextSize = Math.min(settings.contextLength ?? MAX_CONTEXT, MAX_CONTEXT);
      try {
        await wllama.loadModel([blob], { n_ctx: contextSize, n_batch: contextSize, n_threads: settings.threads, seed: 0 });
      } catch (error) {
        await wllama.exit().catch(() => undefined);
        // The first lines are the cause (bad magic, a tensor beyond the end); later ones repeat that loading failed.
        const said = errors
          .slice(0, 2)
          .map((line) => line.trim())
          .join('; ');
        const message = error instanceof Error ? error.message : String(error);
        throw new Error(said ? `${said} (wllama: ${message})` : message);
      }
      // wllama falls back to one thread by itself (no SharedArrayBuffer); the cell would then claim threads it did not use.
      if (wllama.getNumThreads() !== settings.threads) {
        const used = wllama.getNumThreads();
        await wllama.exit();
        throw new Error(`wllama runs ${used} thread(s), not the ${settings.threads} asked for: its multi-thread build needs a cross-origin isolated page`);
      }
      return wllamaSession(wllama);
    },
  };
}

function wllamaSession(wllama: WllamaModule.Wllama): RuntimeSession {
  const vocabulary = wllama.getLoadedContextInfo().n_vocab;
  const values = llamaCppValues(vocabulary);
  const lengthOnly = (length: number): Tensor => tensor('float32', new Float32Array(0), [1, 1, length, 0]);
  let cached = 0;

  // The next-token distribution after the last decoded token, as logits up to a constant.
  const lastLogits = async (into: Float32Array, at: number) => {
    for (const { token, p } of await wllama.getLogits(-1)) {
      // wllama's softmax takes exp(logit) without subtracting the maximum: a logit above ~88 overflows float32.
      if (Number.isNaN(p)) throw new Error(`wllama's softmax overflowed at token ${token} (a logit above 88): its probabilities cannot be used`);
      if (token < vocabulary && p > 0) into[at + token] = Math.log(p);
    }
  };

  return {
    inputs: values.inputs.map((v) => ({ ...v })),
    outputs: values.outputs.map((v) => ({ ...v })),
    prepare: (feeds) => feeds,
    async run(feeds: NamedTensors, options?: RunOptions) {
      const { tokens, pastLength } = llamaCppStep(feeds, 'wllama');
      // The cache is llama.cpp's: a step that starts over (or goes back) drops what lies beyond its past.
      if (cached > pastLength) {
        if (pastLength === 0) await wllama.kvClear();
        else await wllama.kvRemove(pastLength, -1);
        cached = pastLength;
      }
      // wllama gives the logits of a batch's last token only: every position's logits take one decode per token.
      const batches = options?.everyPosition ? tokens.map((token) => [token]) : [tokens];
      const logits = new Float32Array(batches.length * vocabulary).fill(LLAMA_LOG_FLOOR);
      for (const [row, batch] of batches.entries()) {
        await wllama.decode(batch, {});
        cached += batch.length;
        await lastLogits(logits, row * vocabulary);
      }
      return {
        [LLAMA_CPP_OUTPUTS.logits]: tensor('float32', logits, [1, batches.length, vocabulary]),
        [LLAMA_CPP_OUTPUTS.presentKey]: lengthOnly(cached),
        [LLAMA_CPP_OUTPUTS.presentValue]: lengthOnly(cached),
      };
    },
    release: () => wllama.exit(),
  };
}
