import { ConfigError } from '../config/errors.ts';
import type { ModelValueInfo } from '../onnx/model-file.ts';
import { FEED_TYPES, type FeedType, type TensorSpec } from '../core/runner-protocol.ts';
import type { TaskExample, TaskVariant } from './task.ts';

/** The feeds of a task that passes the dataset's inputs to the model as they are (classify, embed, forward). */
export function modelFeeds(example: TaskExample, variant: TaskVariant, datasetFile: string): Record<string, TensorSpec> {
  return feedsForExample(example, variant.model.inputs, datasetFile, variant.variant.name);
}

const INTEGER_TYPES: ReadonlySet<FeedType> = new Set(['int64', 'int32', 'int16', 'int8', 'uint16', 'uint8']);

/**
 * Turns one dataset example into the model's feeds, checking names, element
 * types and shapes against the model's declared inputs, so a mismatch is a
 * config error with a line number instead of an onnxruntime error mid-run.
 */
export function feedsForExample(example: TaskExample, inputs: readonly ModelValueInfo[], datasetFile: string, variantName: string): Record<string, TensorSpec> {
  const where = `${datasetFile}:${example.line}`;
  if (!example.inputs)
    throw new ConfigError(
      where,
      'inputs',
      'the line has text but no inputs, and this task has no tokenizer to encode it',
      'add "inputs", or use a task with a tokenizer (generate)',
    );
  const expected = inputs.map((i) => i.name);
  const given = example.inputs;
  for (const name of Object.keys(given)) {
    if (!expected.includes(name)) {
      throw new ConfigError(where, `inputs.${name}`, `variant "${variantName}" has no input named "${name}"`, `the model's inputs are: ${expected.join(', ')}`);
    }
  }
  const feeds: Record<string, TensorSpec> = {};
  for (const input of inputs) {
    const value = given[input.name];
    if (value === undefined) {
      throw new ConfigError(
        where,
        'inputs',
        `missing input "${input.name}" required by variant "${variantName}"`,
        `add "${input.name}" to "inputs" on every line`,
      );
    }
    if (!(FEED_TYPES as readonly string[]).includes(input.type)) {
      throw new ConfigError(
        where,
        `inputs.${input.name}`,
        `variant "${variantName}" takes ${input.type} for "${input.name}", which edgebench cannot feed`,
        `use a model whose inputs are one of: ${FEED_TYPES.join(', ')}`,
      );
    }
    const type = input.type as FeedType;
    const { dims, data } = flatten(value, where, `inputs.${input.name}`);
    checkShape(dims, input, where, variantName);
    if (INTEGER_TYPES.has(type) && data.some((v) => !Number.isInteger(v))) {
      throw new ConfigError(
        where,
        `inputs.${input.name}`,
        `"${input.name}" is ${type} but the line has non-integer values`,
        'write whole numbers (token ids) for integer inputs',
      );
    }
    if (INTEGER_TYPES.has(type)) checkIntegerRange(data, type, input, where, variantName);
    feeds[input.name] = { type, dims, data };
  }
  return feeds;
}

/** Exactly representable ranges: a JSON number beyond 2^53 has already lost its low digits, so int64 stops there. */
const INTEGER_RANGES: Partial<Record<FeedType, [number, number]>> = {
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  int16: [-(2 ** 15), 2 ** 15 - 1],
  int8: [-128, 127],
  uint16: [0, 2 ** 16 - 1],
  uint8: [0, 255],
};

/**
 * A value the feed's type cannot hold would wrap around on its way into the
 * tensor (2^64 becomes token 0) and the model would silently read another id;
 * an id past the end of the model's embedding table fails or reads garbage.
 */
function checkIntegerRange(data: number[], type: FeedType, input: ModelValueInfo, where: string, variantName: string): void {
  const field = `inputs.${input.name}`;
  const [min, max] = INTEGER_RANGES[type]!;
  const outOfType = data.findIndex((v) => v < min || v > max);
  if (outOfType >= 0) {
    const value = data[outOfType]!;
    const why =
      type === 'int64' && Math.abs(value) < 2 ** 63
        ? `beyond ±(2^53 − 1), the largest integer a JSON number holds exactly (it would be read as another id)`
        : `outside the ${type} range [${min}, ${max}]`;
    throw new ConfigError(where, field, `value ${BigInt(value)} at position ${outOfType} is ${why}`, `write ${type} values within [${min}, ${max}]`);
  }
  const table = input.indexes;
  if (!table) return;
  const outOfTable = data.findIndex((v) => v < 0 || v >= table.rows);
  if (outOfTable >= 0) {
    throw new ConfigError(
      where,
      field,
      `id ${data[outOfTable]} at position ${outOfTable} is outside the vocabulary of variant "${variantName}": ` +
        `"${input.name}" indexes "${table.table}", which has ${table.rows} rows`,
      `use ids from 0 to ${table.rows - 1} (encode the text with the model's own tokenizer)`,
    );
  }
}

function flatten(value: unknown, where: string, field: string): { dims: number[]; data: number[] } {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const explicit = value as { dims: number[]; data: (number | boolean)[] };
    const size = explicit.dims.reduce((product, d) => product * d, 1);
    if (size !== explicit.data.length) {
      throw new ConfigError(
        where,
        field,
        `dims [${explicit.dims.join(', ')}] hold ${size} values but data has ${explicit.data.length}`,
        'make data the product of dims long (row-major order)',
      );
    }
    return { dims: explicit.dims, data: explicit.data.map(Number) };
  }
  const dims: number[] = [];
  for (let level: unknown = value; Array.isArray(level); level = level[0]) dims.push(level.length);
  const data: number[] = [];
  const walk = (node: unknown, depth: number): void => {
    if (depth === dims.length) {
      if (typeof node === 'boolean') data.push(node ? 1 : 0);
      else if (typeof node === 'number') data.push(node);
      else throw new ConfigError(where, field, 'nested arrays are ragged (rows of different lengths)', 'every row of a tensor must have the same length');
      return;
    }
    if (!Array.isArray(node) || node.length !== dims[depth]) {
      throw new ConfigError(where, field, 'nested arrays are ragged (rows of different lengths)', 'every row of a tensor must have the same length');
    }
    for (const child of node) walk(child, depth + 1);
  };
  walk(value, 0);
  return { dims, data };
}

function checkShape(dims: number[], input: ModelValueInfo, where: string, variantName: string): void {
  const declared = input.dims.map((d) => (typeof d === 'number' ? String(d) : (d ?? '?'))).join(', ');
  const problem = (what: string) =>
    new ConfigError(
      where,
      `inputs.${input.name}`,
      `${what}: the line has shape [${dims.join(', ')}], variant "${variantName}" declares [${declared}]`,
      'reshape the data to the model input (batch dimension first, e.g. [[1, 2, 3]] for one sequence)',
    );
  // A model without shape information (rank 0 with no dims) accepts any shape.
  if (input.dims.length === 0) return;
  if (dims.length !== input.dims.length) throw problem('wrong rank');
  input.dims.forEach((d, i) => {
    if (typeof d === 'number' && dims[i] !== d) throw problem(`dimension ${i} must be ${d}`);
  });
}
