import type { TaskKind } from '../core/suite.ts';
import type { DecoderCacheLayout } from '../core/model-config.ts';
import type { ModelValueInfo } from '../onnx/model-file.ts';
import type { TextTokenizer } from '../tasks/tokenizer.ts';

/** A few prompts of different lengths and kinds: a completion, an instruction, a list. Users replace them with their own. */
const PROMPTS = [
  'The capital of France is',
  'Write one sentence about the sea.',
  'List three colours of the rainbow:',
  'Explain in a few words what a battery does.',
];

type Nested = number | boolean | Nested[];
type InputValue = Nested | { dims: number[]; data: (number | boolean)[] };

/**
 * A dataset template for a model: text prompts for generate (the task
 * tokenizes them), otherwise examples whose inputs are shaped to the
 * model's declared inputs (token ids from the tokenizer, masks of ones, an
 * empty KV cache), so `edgebench validate` passes on it as written.
 */
export function datasetTemplate(task: TaskKind, inputs: readonly ModelValueInfo[], tokenizer?: TextTokenizer, cache: DecoderCacheLayout = {}): string {
  const lines = PROMPTS.map((text, i) => {
    if (task === 'generate') return { id: `prompt-${i + 1}`, text };
    const ids = tokenIds(text, inputs, tokenizer);
    return { id: `example-${i + 1}`, text, inputs: Object.fromEntries(inputs.map((input) => [input.name, inputValue(input, ids, cache)])) };
  });
  return lines.map((line) => JSON.stringify(line)).join('\n') + '\n';
}

/** The prompt's token ids, kept inside the embedding table the ids index (a template for a model without a tokenizer uses small ids). */
function tokenIds(text: string, inputs: readonly ModelValueInfo[], tokenizer: TextTokenizer | undefined): number[] {
  const raw = tokenizer ? tokenizer.encode(text) : Array.from({ length: Math.min(8, text.split(' ').length + 1) }, (_, i) => i + 1);
  const rows = inputs.find((input) => input.name === 'input_ids')?.indexes?.rows;
  return raw.length > 0 ? raw.map((id) => (rows ? id % rows : id)) : [1];
}

function inputValue(input: ModelValueInfo, ids: number[], cache: DecoderCacheLayout): InputValue {
  const name = input.name;
  const fill = (value: number | boolean, length = ids.length) => Array.from({ length }, () => value);
  if (/past|cache/.test(name) && input.dims.length === 4) {
    // An empty KV cache: no past tokens, so no data whatever the head count.
    const [, heads, , headDim] = input.dims;
    const size = (dim: number | string | null, fromConfig: number | undefined) => (typeof dim === 'number' ? dim : (fromConfig ?? 1));
    return { dims: [1, size(heads ?? null, cache.kvHeads), 0, size(headDim ?? null, cache.headDim)], data: [] };
  }
  if (name === 'attention_mask') return [fill(1)];
  if (name === 'token_type_ids') return [fill(0)];
  if (name === 'position_ids') return [ids.map((_, i) => i)];
  if (name === 'input_ids' || input.indexes) return [ids];
  if (input.type === 'bool') return { dims: input.dims.map((d) => (typeof d === 'number' ? d : 1)), data: fill(false, elementCount(input)) };
  return { dims: input.dims.map((d) => (typeof d === 'number' ? d : 1)), data: fill(0, elementCount(input)) };
}

const elementCount = (input: ModelValueInfo) => input.dims.reduce<number>((product, d) => product * (typeof d === 'number' ? d : 1), 1);
