import type { DecoderShape } from './decoder.ts';
import { encodeBytes } from './decoder.ts';
import { generateUtterances } from './intents.ts';

/**
 * Prompts for the demo decoder, as dataset lines in the decoder's own input
 * layout: byte ids, a full attention mask, positions from 0, and empty past
 * key/value tensors (the first step of generation: the prefill).
 */
export function decoderPromptExamples(shape: DecoderShape, count: number, seed: number): Record<string, unknown>[] {
  const headDim = shape.hiddenSize / shape.heads;
  return generateUtterances(count, seed, 'prompt').map((utterance) => {
    const text = `user: ${utterance.text}\nassistant:`;
    const ids = encodeBytes(text).slice(0, shape.maxPositions);
    const inputs: Record<string, unknown> = {
      input_ids: [ids],
      attention_mask: [ids.map(() => 1)],
      position_ids: [ids.map((_, i) => i)],
    };
    for (let layer = 0; layer < shape.layers; layer++) {
      for (const part of ['key', 'value']) inputs[`past_key_values.${layer}.${part}`] = { dims: [1, shape.heads, 0, headDim], data: [] };
    }
    return { id: utterance.id, text, inputs };
  });
}
