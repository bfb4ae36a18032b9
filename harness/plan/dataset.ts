import { z } from 'zod';
import { BYTE_ORDER_MARK, BYTE_ORDER_MARK_NAME, withoutLeadingByteOrderMark } from '../config/byte-order-mark.ts';
import { ConfigError, ConfigErrors, formatFieldPath } from '../config/errors.ts';
import { FILE_LIMITS, readBoundedFile } from '../config/read-bounded-file.ts';
import { sha256Text } from '../files/hash.ts';
import type { ChatMessage } from '../tasks/chat-template.ts';
import type { Suite } from '../core/suite.ts';

type Nested = number | boolean | Nested[];
const NestedValues: z.ZodType<Nested> = z.lazy(() => z.union([z.number(), z.boolean(), z.array(NestedValues)]));

/** The explicit form, for shapes nested arrays cannot express (a dimension of 0, as an empty KV cache has). */
const ExplicitTensor = z.strictObject({ dims: z.array(z.number().int().nonnegative()), data: z.array(z.union([z.number(), z.boolean()])) });
export type InputValue = Nested | z.infer<typeof ExplicitTensor>;

/** One line of a dataset. Fields other than id and inputs (text, label, baseline, ...) are kept for tasks and scorers. */
export const DatasetExample = z.looseObject({
  id: z.union([z.string().min(1), z.number()]).optional(),
  inputs: z.record(z.string(), z.union([ExplicitTensor, NestedValues])).optional(),
  text: z.string().optional(),
  /** generate: one user message, put through the model's chat template. */
  prompt: z.string().optional(),
  /** generate: a conversation, put through the model's chat template. */
  messages: z
    .array(z.strictObject({ role: z.string().min(1), content: z.string() }))
    .min(1)
    .optional(),
});

export interface Example {
  id: string;
  /** 1-based line in the dataset file, for error messages. */
  line: number;
  /** Model inputs as written on the line; absent when the line gives text for a tokenizer. */
  inputs?: Record<string, InputValue>;
  text?: string;
  prompt?: string;
  messages?: ChatMessage[];
  fields: Record<string, unknown>;
}

/** The words of a line's prompt, for records and scorers: its text, its prompt, or its messages' contents. */
export function promptText(example: Pick<Example, 'text' | 'prompt' | 'messages'>): string | undefined {
  return example.text ?? example.prompt ?? example.messages?.map((m) => m.content).join('\n');
}

export interface Dataset {
  file: string;
  sha256: string;
  examples: Example[];
}

/** Where in a parsed line a string (or key) holds a byte-order mark. */
function pathToByteOrderMark(value: unknown, path: PropertyKey[]): PropertyKey[] | undefined {
  if (typeof value === 'string') return value.includes(BYTE_ORDER_MARK) ? path : undefined;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = pathToByteOrderMark(item, [...path, index]);
      if (found) return found;
    }
    return undefined;
  }
  if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const found = key.includes(BYTE_ORDER_MARK) ? [...path, key.replaceAll(BYTE_ORDER_MARK, '\\uFEFF')] : pathToByteOrderMark(item, [...path, key]);
      if (found) return found;
    }
  }
  return undefined;
}

/** Reads a JSON-lines dataset; every bad line is reported with its line number. */
export async function loadDataset(file: string, referencedFrom: string): Promise<Dataset> {
  let text: string;
  try {
    text = (
      await readBoundedFile(file, {
        what: 'dataset',
        maxBytes: FILE_LIMITS.dataset,
        tooLargeFix: 'use a sample of the examples, or split them over several suites',
      })
    ).toString('utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(
      referencedFrom,
      'dataset',
      `dataset ${file} ${code === 'ENOENT' ? 'not found' : `cannot be read (${code})`}`,
      'check the path; it is relative to the suite file',
    );
  }
  const errors: ConfigError[] = [];
  const examples: Example[] = [];
  const ids = new Map<string, number>();
  // An editor may start a UTF-8 file with a byte-order mark; it is not part of the first line.
  withoutLeadingByteOrderMark(text)
    .split('\n')
    .forEach((raw, index) => {
      const line = index + 1;
      if (raw.trim() === '') return;
      const bom = raw.indexOf(BYTE_ORDER_MARK);
      let json: unknown;
      try {
        json = JSON.parse(raw);
      } catch (error) {
        const at = `${file}:${line}`;
        errors.push(
          bom >= 0
            ? new ConfigError(
                at,
                undefined,
                `not valid JSON: ${BYTE_ORDER_MARK_NAME} at column ${bom + 1}`,
                'remove it (files joined together each keep their own; save as UTF-8 without BOM)',
              )
            : new ConfigError(at, undefined, `not valid JSON (${(error as Error).message})`, 'write one JSON object per line'),
        );
        return;
      }
      const marked = bom >= 0 ? pathToByteOrderMark(json, []) : undefined;
      if (marked) {
        const problem = `the text holds ${BYTE_ORDER_MARK_NAME}, an invisible character`;
        errors.push(new ConfigError(`${file}:${line}`, formatFieldPath(marked), problem, 'remove it: it would be part of the prompt or label'));
        return;
      }
      const parsed = DatasetExample.safeParse(json);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) {
          errors.push(
            new ConfigError(
              `${file}:${line}`,
              formatFieldPath(issue.path),
              issue.message,
              'each line needs "inputs": {"<model input name>": nested arrays of numbers, or {"dims": [...], "data": [...]}} and an optional string "id"',
            ),
          );
        }
        return;
      }
      const { id, inputs, text, prompt, messages, ...fields } = parsed.data;
      if (!inputs && text === undefined && prompt === undefined && messages === undefined) {
        errors.push(
          new ConfigError(
            `${file}:${line}`,
            'inputs',
            'the line has none of "inputs", "text", "prompt" or "messages"',
            'give the model inputs, or the text for the tokenizer to encode',
          ),
        );
        return;
      }
      if (prompt !== undefined && messages !== undefined) {
        errors.push(new ConfigError(`${file}:${line}`, 'messages', 'the line has both "prompt" and "messages"', 'give one: "prompt" is one user message'));
        return;
      }
      const exampleId = id === undefined ? `line-${line}` : String(id);
      const previous = ids.get(exampleId);
      if (previous !== undefined) {
        errors.push(
          new ConfigError(`${file}:${line}`, 'id', `duplicate example id "${exampleId}" (also on line ${previous})`, 'give every example a unique id'),
        );
        return;
      }
      ids.set(exampleId, line);
      examples.push({
        id: exampleId,
        line,
        ...(inputs ? { inputs } : {}),
        ...(text !== undefined ? { text } : {}),
        ...(prompt !== undefined ? { prompt } : {}),
        ...(messages !== undefined ? { messages } : {}),
        fields,
      });
    });
  if (errors.length > 0) throw new ConfigErrors(errors.slice(0, 20));
  if (examples.length === 0) throw new ConfigError(file, undefined, 'dataset has no examples', 'add at least one JSON line with "inputs"');
  return { file, sha256: sha256Text(text), examples };
}

/**
 * The dataset of a generate suite that runs only its synthetic workload: no examples; its file is the suite
 * and its sha256 that of the workload, so that runs compare only when they ran the same workload.
 */
export function workloadOnlyDataset(suite: Suite, suiteFile: string): Dataset {
  return { file: suiteFile, sha256: sha256Text(JSON.stringify(suite.workload ?? null)), examples: [] };
}
