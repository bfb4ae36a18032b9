/**
 * How a llama.cpp session presents itself to the tasks: as a decoder with a
 * KV cache in Optimum's names, so the generate task drives it unchanged. The
 * cache lives inside llama.cpp's context; the past/present tensors carry only
 * its length (dims [1, 1, length, 0], no values). The plan side states the
 * same inputs and outputs for a GGUF variant before any runner loads it.
 */
import type { NamedTensors } from './tensor.ts';

export const LLAMA_CPP_INPUTS = {
  ids: 'input_ids',
  pastKey: 'past_key_values.0.key',
  pastValue: 'past_key_values.0.value',
} as const;

/** A step's feeds as llama.cpp reads them: the new token ids, and how long the past is (the cache itself is llama.cpp's). */
export function llamaCppStep(feeds: NamedTensors, runtime: string): { tokens: number[]; pastLength: number } {
  const ids = feeds[LLAMA_CPP_INPUTS.ids];
  const past = feeds[LLAMA_CPP_INPUTS.pastKey];
  if (!ids || !past) throw new Error(`${runtime} sessions take ${LLAMA_CPP_INPUTS.ids} and ${LLAMA_CPP_INPUTS.pastKey}`);
  return { tokens: Array.from(ids.data as BigInt64Array, Number), pastLength: past.dims[2] ?? 0 };
}

/** The log of the smallest float32 probability: where llama.cpp's softmax gives 0, the logit is "very unlikely", not -Infinity. */
export const LLAMA_LOG_FLOOR = Math.log(1.4e-45);

export const LLAMA_CPP_OUTPUTS = {
  logits: 'logits',
  presentKey: 'present.0.key',
  presentValue: 'present.0.value',
} as const;

/**
 * Declared shapes: symbolic sequence and past lengths, one "head" of size 0 for the length-only cache; logits for
 * the last position, or for every position when a step asks (RunOptions.everyPosition).
 */
export function llamaCppValues(vocabularySize: number | undefined): {
  inputs: { name: string; type: string; shape: (number | string)[] }[];
  outputs: { name: string; type: string; shape: (number | string)[] }[];
} {
  const cache = (name: string, length: string) => ({ name, type: 'float32', shape: [1, 1, length, 0] });
  return {
    inputs: [
      { name: LLAMA_CPP_INPUTS.ids, type: 'int64', shape: [1, 'sequence_length'] },
      cache(LLAMA_CPP_INPUTS.pastKey, 'past_sequence_length'),
      cache(LLAMA_CPP_INPUTS.pastValue, 'past_sequence_length'),
    ],
    outputs: [
      { name: LLAMA_CPP_OUTPUTS.logits, type: 'float32', shape: [1, 'logits_positions', vocabularySize ?? 'vocabulary'] },
      cache(LLAMA_CPP_OUTPUTS.presentKey, 'total_sequence_length'),
      cache(LLAMA_CPP_OUTPUTS.presentValue, 'total_sequence_length'),
    ],
  };
}
