import type { TaskKind } from '../core/suite.ts';
import type { ModelInspection } from '../onnx/model-file.ts';

/** Output names that hold one vector per example (sentence-transformers and Optimum feature-extraction exports). */
const EMBEDDING_OUTPUTS = ['sentence_embedding', 'last_hidden_state', 'embeddings', 'pooler_output'];

/**
 * The task a model is for, read from its inputs and outputs the way its
 * exporter shapes them: token ids with a KV cache, or logits per token, is a
 * decoder (generate); logits of one row per example is a classifier head;
 * a hidden-state output is an embedding model. Anything else runs as forward.
 */
export function inferTask(model: Pick<ModelInspection, 'inputs' | 'outputs'>): { task: TaskKind; because: string } {
  const ids = model.inputs.find((input) => input.name === 'input_ids');
  const past = model.inputs.find((input) => /^past[._]/.test(input.name) || input.name.includes('past_key_values'));
  const logits = model.outputs.find((output) => output.name === 'logits');
  if (ids && past && logits) return { task: 'generate', because: `input_ids and a KV cache (${past.name}) in, logits out` };
  if (ids && logits && logits.dims.length === 3) return { task: 'generate', because: 'input_ids in, logits per token out' };
  if (logits && logits.dims.length === 2) return { task: 'classify', because: 'logits of one row per example out (a classifier head)' };
  const embedding = model.outputs.find((output) => EMBEDDING_OUTPUTS.includes(output.name));
  if (embedding) return { task: 'embed', because: `${embedding.name} out` };
  return { task: 'forward', because: 'no token ids with logits, KV cache or embedding output: each example runs one forward pass' };
}
