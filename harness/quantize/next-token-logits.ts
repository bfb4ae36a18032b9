import * as ort from 'onnxruntime-node';
import type { RunnerExample } from '../core/runner-protocol.ts';
import { ortTensor } from '../runtimes/onnxruntime-node.ts';
import { fromHalfBits, tensorFromSpec } from '../runtimes/tensor.ts';

/** A model's output distributions on a set of examples: one row of `width` logits per next-token position (or decision). */
export interface ExampleLogits {
  /** Per example, its rows one after another. */
  rows: Float32Array[];
  width: number;
}

/** A session that returns the logits of one example; the decoder inputs an example leaves out are filled as for a prefill. */
export interface LogitsSession {
  run(feeds: RunnerExample['feeds']): Promise<{ logits: Float32Array; width: number }>;
  release(): Promise<void>;
}

/**
 * Opens the model in onnxruntime-node (one thread, so figures do not depend on the machine's load). The read
 * output is `logits`, else the model's first. Inputs the feeds leave out: attention_mask of ones, position_ids
 * 0..n-1 and an empty KV cache (in the cache's own element type), as a decoder's first step has them.
 */
export async function openLogitsSession(model: string | Uint8Array): Promise<LogitsSession> {
  const session =
    typeof model === 'string'
      ? await ort.InferenceSession.create(model, { intraOpNumThreads: 1 })
      : await ort.InferenceSession.create(model, { intraOpNumThreads: 1 });
  const output = session.outputNames.includes('logits') ? 'logits' : session.outputNames[0]!;
  return {
    async run(given) {
      const feeds: Record<string, ort.Tensor> = Object.fromEntries(Object.entries(given).map(([k, v]) => [k, ortTensor(tensorFromSpec(v))]));
      const n = feeds.input_ids?.dims[1] ?? 1;
      for (const meta of session.inputMetadata) {
        if (feeds[meta.name] || !meta.isTensor) continue;
        if (meta.name === 'attention_mask') feeds[meta.name] = new ort.Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]);
        else if (meta.name === 'position_ids')
          feeds[meta.name] = new ort.Tensor(
            'int64',
            BigInt64Array.from({ length: n }, (_, i) => BigInt(i)),
            [1, n],
          );
        else if (meta.name.startsWith('past_')) {
          const dims = [1, meta.shape[1] as number, 0, meta.shape[3] as number];
          feeds[meta.name] =
            meta.type === 'float16' ? new ort.Tensor('float16', new Uint16Array(0), dims) : new ort.Tensor('float32', new Float32Array(0), dims);
        }
      }
      const logits = (await session.run(feeds, [output]))[output]!;
      const values = logits.type === 'float16' ? Float32Array.from(logits.data as Uint16Array, fromHalfBits) : Float32Array.from(logits.data as Float32Array);
      return { logits: values, width: logits.dims.at(-1)! };
    },
    release: () => session.release(),
  };
}

/** The logits of every example, one full pass each. */
export async function exampleLogits(model: string | Uint8Array, examples: readonly RunnerExample[]): Promise<ExampleLogits> {
  const session = await openLogitsSession(model);
  try {
    const rows: Float32Array[] = [];
    let width = 0;
    for (const example of examples) {
      const result = await session.run(example.feeds);
      rows.push(result.logits);
      width = result.width;
    }
    return { rows, width };
  } finally {
    await session.release();
  }
}

/** Token-id sequences as examples that feed input_ids alone (the decoder's other inputs are filled per pass). */
export function tokenExamples(sequences: readonly number[][], idPrefix: string): RunnerExample[] {
  return sequences.map((ids, i) => ({ id: `${idPrefix}-${i}`, feeds: { input_ids: { type: 'int64' as const, dims: [1, ids.length], data: ids } } }));
}

/** Every position's logits for each prompt, one forward pass with an empty KV cache. */
export async function promptLogits(modelFile: string, prompts: number[][]): Promise<Float32Array[]> {
  return (await exampleLogits(modelFile, tokenExamples(prompts, 'prompt'))).rows;
}
