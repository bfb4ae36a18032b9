import { extname } from 'node:path';
import { withoutLeadingByteOrderMark } from '../config/byte-order-mark.ts';
import { ConfigError, ConfigErrors } from '../config/errors.ts';
import { FILE_LIMITS, readBoundedFile } from '../config/read-bounded-file.ts';
import { sha256Text } from '../files/hash.ts';
import type { Dataset, Example } from './dataset.ts';

/**
 * The perplexity task's corpus: a plain text file (one document, as
 * llama-perplexity reads wiki.test.raw), or JSON lines (.jsonl, .ndjson) of
 * {"text": "..."} (one document per line, e.g. a dataset's test split). Each
 * document is an example with its text; the task encodes and windows them.
 */
export async function loadCorpus(file: string, referencedFrom: string): Promise<Dataset> {
  let bytes: Buffer;
  try {
    bytes = await readBoundedFile(file, { what: 'corpus', maxBytes: FILE_LIMITS.dataset, tooLargeFix: 'use a part of the corpus' });
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(
      referencedFrom,
      'dataset',
      `corpus ${file} ${code === 'ENOENT' ? 'not found' : `cannot be read (${code})`}`,
      'check the path; it is relative to the suite file',
    );
  }
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  const replaced = text.indexOf('\uFFFD');
  if (replaced >= 0 && !bytes.includes(Buffer.from('\uFFFD', 'utf8'))) {
    const line = text.slice(0, replaced).split('\n').length;
    throw new ConfigError(`${file}:${line}`, undefined, 'the corpus is not UTF-8 text', 'save the corpus as UTF-8 (a binary file is not a corpus)');
  }
  const body = withoutLeadingByteOrderMark(text);
  const examples = /^\.(jsonl|ndjson)$/i.test(extname(file)) ? jsonLinesDocuments(body, file) : [{ id: 'corpus', line: 1, text: body, fields: {} }];
  if (examples.every((e) => (e.text ?? '').trim() === '')) {
    throw new ConfigError(file, undefined, 'the corpus has no text', 'give the perplexity task a text file, or JSON lines of {"text": "..."}');
  }
  return { file, sha256: sha256Text(text), examples };
}

function jsonLinesDocuments(body: string, file: string): Example[] {
  const errors: ConfigError[] = [];
  const examples: Example[] = [];
  body.split('\n').forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (error) {
      errors.push(new ConfigError(`${file}:${line}`, undefined, `not valid JSON (${(error as Error).message})`, 'write one {"text": "..."} object per line'));
      return;
    }
    const value = json !== null && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>).text : undefined;
    if (typeof value !== 'string') {
      errors.push(
        new ConfigError(
          `${file}:${line}`,
          'text',
          value === undefined ? 'the line has no "text"' : `"text" is ${Array.isArray(value) ? 'an array' : typeof value}, not a string`,
          'each line of a JSON-lines corpus is {"text": "..."}',
        ),
      );
      return;
    }
    examples.push({ id: `line-${line}`, line, text: value, fields: {} });
  });
  if (errors.length > 0) throw new ConfigErrors(errors.slice(0, 20));
  return examples;
}
