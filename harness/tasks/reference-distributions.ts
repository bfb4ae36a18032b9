import type { DecoderCacheLayout } from '../core/model-config.ts';
import type { RuntimeOptions } from '../core/runtime.ts';
import { onnxruntimeNode } from '../runtimes/onnxruntime-node.ts';
import { topKDistribution } from '../stats/token-divergence.ts';
import type { TokenWindow } from './perplexity-windows.ts';
import { positionLogProbs, windowPass } from './perplexity.run.ts';
import type { TopKReference } from './top-k-reference.ts';

/**
 * The reference variant's distributions at every scored position, computed
 * once on this machine with onnxruntime-node (the same full-sequence pass the
 * runner times), kept as top-k plus the remaining mass.
 */
export async function referenceDistributions(options: {
  modelPath: string;
  runtime: RuntimeOptions;
  cache: DecoderCacheLayout;
  windows: readonly TokenWindow[];
  topK: number;
}): Promise<{ rows: TopKReference['rows']; vocabulary: number }> {
  const session = await onnxruntimeNode.load({ location: options.modelPath }, options.runtime);
  try {
    const pass = windowPass(session, options.cache);
    const rows: TopKReference['rows'] = [];
    let vocabulary = 0;
    for (const window of options.windows) {
      const { logits } = await pass.run(pass.feeds(window.tokens));
      vocabulary = logits.dims.at(-1)!;
      const logProbsAt = positionLogProbs(logits, window.tokens.length);
      for (let target = window.scoredFrom; target < window.tokens.length; target++) {
        const token = window.tokens[target]!;
        rows.push({ ...topKDistribution(logProbsAt(target - 1), options.topK, token), target: token });
      }
    }
    return { rows, vocabulary };
  } finally {
    await session.release();
  }
}
