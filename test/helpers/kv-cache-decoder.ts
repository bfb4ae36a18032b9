import * as ort from 'onnxruntime-node';

/**
 * Greedy decoding over whatever a decoder graph declares, for tests of exported models: input and KV-cache types
 * come from the session's input metadata (float32 or float16 past, int64 ids), optional inputs (position_ids,
 * use_cache_branch) are fed only when declared, and past tensors start empty with the declared head count and
 * head size, or with the counts given when the graph names them symbolically.
 */
export interface GreedyOptions {
  /** true: feed the prompt once, then one token per step with the previous present as past. false: recompute the
   * whole sequence every step with an empty past. */
  useCache: boolean;
  newTokens: number;
  /** For graphs whose past declares symbolic dimensions (read from config.json / genai_config.json). */
  kvHeads?: number;
  headDim?: number;
  /** Value of a declared `use_cache_branch` input for a step with this much past; Optimum's rule by default. */
  useCacheBranch?: (pastLength: number) => boolean;
}

export interface GreedyResult {
  tokens: number[];
  /** Logits at the last position of every step, as float32. */
  lastLogits: Float32Array[];
}

type Metadata = ort.InferenceSession.TensorValueMetadata;

/** Past input name for a present output name: past_key_values.N.key <- present.N.key (Optimum, transformers.js, genai). */
export function pastNameFor(presentName: string): string {
  return presentName.replace(/^present\./, 'past_key_values.');
}

export function halfBitsToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** Any float tensor's data as float32 (float16 comes back from onnxruntime-node as raw Uint16 bits). */
export function asFloat32(tensor: ort.Tensor): Float32Array {
  if (tensor.type === 'float32') return tensor.data as Float32Array;
  if (tensor.type === 'float16') return Float32Array.from(tensor.data as Uint16Array, halfBitsToFloat);
  throw new Error(`not a float tensor: ${tensor.type}`);
}

function integerTensor(type: ort.Tensor.Type, values: number[], dims: number[]): ort.Tensor {
  if (type === 'int64') return new ort.Tensor('int64', BigInt64Array.from(values, BigInt), dims);
  if (type === 'int32') return new ort.Tensor('int32', Int32Array.from(values), dims);
  throw new Error(`unexpected integer input type ${type}`);
}

function emptyPast(meta: Metadata, options: GreedyOptions): ort.Tensor {
  const [, heads, , size] = meta.shape;
  const kvHeads = typeof heads === 'number' ? heads : options.kvHeads;
  const headDim = typeof size === 'number' ? size : options.headDim;
  if (kvHeads === undefined || headDim === undefined) throw new Error(`${meta.name} declares [${meta.shape.join(', ')}]: give kvHeads and headDim`);
  const dims = [1, kvHeads, 0, headDim];
  if (meta.type === 'float16') return new ort.Tensor('float16', new Uint16Array(0), dims);
  if (meta.type === 'float32') return new ort.Tensor('float32', new Float32Array(0), dims);
  throw new Error(`${meta.name}: past of type ${meta.type} is not supported here`);
}

/** Feeds for one forward pass of `ids` on top of `pastLength` cached tokens. */
function stepFeeds(
  inputs: readonly Metadata[],
  ids: number[],
  pastLength: number,
  past: Map<string, ort.Tensor>,
  options: GreedyOptions,
): Record<string, ort.Tensor> {
  const total = pastLength + ids.length;
  const feeds: Record<string, ort.Tensor> = {};
  for (const meta of inputs) {
    if (meta.name === 'input_ids') feeds[meta.name] = integerTensor(meta.type, ids, [1, ids.length]);
    else if (meta.name === 'attention_mask') feeds[meta.name] = integerTensor(meta.type, new Array<number>(total).fill(1), [1, total]);
    else if (meta.name === 'position_ids')
      feeds[meta.name] = integerTensor(
        meta.type,
        ids.map((_, i) => pastLength + i),
        [1, ids.length],
      );
    else if (meta.name === 'use_cache_branch')
      feeds[meta.name] = new ort.Tensor('bool', Uint8Array.of((options.useCacheBranch ?? ((n) => n > 0))(pastLength) ? 1 : 0), [1]);
    else if (meta.name.startsWith('past_key_values.')) feeds[meta.name] = past.get(meta.name) ?? emptyPast(meta, options);
    else throw new Error(`the decoder declares an input this loop does not know: ${meta.name}`);
  }
  return feeds;
}

function argmax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

export async function greedyDecode(session: ort.InferenceSession, prompt: readonly number[], options: GreedyOptions): Promise<GreedyResult> {
  const inputs = session.inputMetadata.filter((m): m is Metadata => m.isTensor);
  const tokens = [...prompt];
  const lastLogits: Float32Array[] = [];
  let past = new Map<string, ort.Tensor>();
  let pastLength = 0;
  for (let step = 0; step < options.newTokens; step++) {
    const fresh = options.useCache ? tokens.slice(pastLength) : tokens;
    const outputs = await session.run(stepFeeds(inputs, fresh, options.useCache ? pastLength : 0, options.useCache ? past : new Map(), options));
    const logits = outputs.logits;
    if (!logits) throw new Error('the decoder has no logits output');
    const vocab = logits.dims[logits.dims.length - 1]!;
    const all = asFloat32(logits);
    const last = all.slice(all.length - vocab);
    lastLogits.push(last);
    tokens.push(argmax(last));
    if (options.useCache) {
      past = new Map(
        Object.entries(outputs)
          .filter(([name]) => name.startsWith('present.'))
          .map(([name, t]) => [pastNameFor(name), t]),
      );
      pastLength += fresh.length;
    }
  }
  return { tokens: tokens.slice(prompt.length), lastLogits };
}
