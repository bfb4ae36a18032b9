import { logSoftmax } from '../stats/fidelity.ts';
import { mulberry32 } from '../stats/random.ts';
import { openLogitsSession } from './next-token-logits.ts';

/**
 * Token windows written by the fp32 decoder itself, for a decoder quantized without calibration data: each starts
 * at `start` (the begin-of-text id) and continues by sampling the model's next-token distribution at temperature 1
 * with a seeded generator, so the same model gives the same windows. Text the model finds likely is where its
 * quantized variant's KL matters; greedy decoding would repeat itself and cover little.
 */
export async function sampledWindows(modelFile: string, options: { count: number; length: number; start: number; seed?: number }): Promise<number[][]> {
  const random = mulberry32(options.seed ?? 20);
  const session = await openLogitsSession(modelFile);
  try {
    const windows: number[][] = [];
    for (let w = 0; w < options.count; w++) {
      const tokens = [options.start];
      while (tokens.length < options.length) {
        const { logits, width } = await session.run({ input_ids: { type: 'int64', dims: [1, tokens.length], data: tokens } });
        const logProbs = logSoftmax(logits.subarray(logits.length - width));
        let u = random();
        let next = width - 1;
        for (let i = 0; i < width; i++) {
          u -= Math.exp(logProbs[i]!);
          if (u < 0) {
            next = i;
            break;
          }
        }
        tokens.push(next);
      }
      windows.push(tokens);
    }
    return windows;
  } finally {
    await session.release();
  }
}
