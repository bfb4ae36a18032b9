import { CST, isNode, Lexer, LineCounter, parseDocument, visit, type Document } from 'yaml';
import type { z } from 'zod';
import { ConfigError, ConfigErrors, formatFieldPath } from './errors.ts';
import { FILE_LIMITS, readBoundedFileSync } from './read-bounded-file.ts';

export interface YamlSource {
  file: string;
  /** Where a field path starts in the file, as "file:line", for error messages. */
  locate(path: readonly PropertyKey[]): string;
  data: unknown;
  /** The file holds no YAML node at all: it is empty, or only comments. */
  empty: boolean;
}

/** Reads and parses a YAML file; syntax errors come back with line and column. */
export function readYaml(file: string, whatItIs: string): YamlSource {
  let text: string;
  try {
    text = readBoundedFileSync(file, {
      what: whatItIs,
      maxBytes: FILE_LIMITS.config,
      tooLargeFix: `check that this is the ${whatItIs}; a genuine one is a few kilobytes`,
    }).toString('utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(
      file,
      undefined,
      code === 'ENOENT' ? `${whatItIs} not found` : `cannot read ${whatItIs} (${code ?? String(error)})`,
      code === 'ENOENT' ? `create it, or point edgebench at the right file` : 'check the file permissions',
    );
  }
  checkItemCount(file, whatItIs, text);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigErrors(
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return new ConfigError(
          `${file}:${pos.line}:${pos.col}`,
          undefined,
          `YAML syntax error: ${e.message.split('\n')[0]}`,
          YAML_FIXES[e.code] ?? 'fix the YAML syntax at that line (indentation, a missing ":" or an unclosed quote)',
        );
      }),
    );
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // Aliases the parser accepts but cannot resolve: an alias before its anchor, or an alias bomb.
    let line: number | undefined;
    visit(doc, {
      Alias(_key, node) {
        if (line === undefined && node.range && !node.resolve(doc)) line = lineCounter.linePos(node.range[0]).line;
      },
    });
    throw new ConfigError(
      line !== undefined ? `${file}:${line}` : file,
      line !== undefined ? undefined : '(aliases)',
      `YAML error: ${(error as Error).message.split('\n')[0]}`,
      'define each &anchor before its *alias, or write the values out',
    );
  }
  return { file, data, empty: doc.contents === null, locate: (path) => locate(file, doc, lineCounter, path) };
}

/**
 * Most YAML items (keys, values, list entries, brackets) a suite or device
 * inventory may hold. The demo suite has about 100 and devices.yaml about 250;
 * composing a document costs more than linear time in its items (duplicate
 * keys are looked for pairwise), so a file within the size limit could still
 * take minutes. Counting with the lexer alone is cheap.
 */
export const MAX_YAML_ITEMS = 20_000;
const NOT_ITEMS = new Set(['space', 'newline', 'comment', 'byte-order-mark', 'doc-mode', 'doc-start', 'doc-end']);

function checkItemCount(file: string, whatItIs: string, text: string): void {
  let items = 0;
  for (const token of new Lexer().lex(text)) {
    // A plain scalar is its marker token followed by its text, which tokenType does not know: only the marker counts.
    const type = CST.tokenType(token);
    if (type === null || NOT_ITEMS.has(type)) continue;
    if (++items > MAX_YAML_ITEMS) {
      throw new ConfigError(
        file,
        undefined,
        `the ${whatItIs} holds more than ${MAX_YAML_ITEMS} YAML items (keys, values, list entries), edgebench's limit for a ${whatItIs}`,
        `check that this is the ${whatItIs}; a genuine one holds a few hundred items`,
      );
    }
  }
}

const YAML_FIXES: Partial<Record<string, string>> = {
  DUPLICATE_KEY: 'a key appears twice in the same mapping: keep one of them',
  TAB_AS_INDENT: 'indent with spaces; YAML does not allow tabs',
  BAD_INDENT: 'line the field up with its siblings (spaces only)',
  MISSING_CHAR: 'close the quote or bracket that was opened',
  MULTILINE_IMPLICIT_KEY: 'a key must fit on one line: check for a missing ":" or an unclosed quote above',
};

function locate(file: string, doc: Document, lineCounter: LineCounter, path: readonly PropertyKey[]): string {
  // Walk up to the deepest node that exists: a missing field is reported at its parent.
  for (let depth = path.length; depth >= 0; depth--) {
    const node = doc.getIn(path.slice(0, depth) as unknown[], true);
    if (isNode(node) && node.range) return `${file}:${lineCounter.linePos(node.range[0]).line}`;
  }
  return file;
}

/** Validates parsed YAML against a schema; all problems are reported at once. */
export function validateYaml<S extends z.ZodType>(
  source: YamlSource,
  schema: S,
  fixFor: (path: readonly PropertyKey[], message: string) => string | undefined = () => undefined,
): z.infer<S> {
  if (source.empty) throw emptyFileError(source.file, schema);
  // reportInput: a missing field and a field of the wrong type are the same zod issue; only the input tells them apart.
  const result = schema.safeParse(source.data, { reportInput: true });
  if (result.success) return result.data;
  throw new ConfigErrors(
    result.error.issues.map(
      (issue) =>
        new ConfigError(source.locate(issue.path), formatFieldPath(issue.path), problemOf(issue), fixFor(issue.path, issue.message) ?? defaultFix(issue)),
    ),
  );
}

/** What an empty file must hold at least: the fields the schema requires of an empty mapping. */
function emptyFileError(file: string, schema: z.ZodType): ConfigError {
  const required = (schema.safeParse({}).error?.issues ?? []).filter((i) => i.code === 'invalid_type' && i.path.length === 1).map((i) => String(i.path[0]));
  return new ConfigError(
    file,
    undefined,
    'the file is empty (no YAML content, only blank lines or comments)',
    required.length > 0
      ? `write at least the required field${required.length > 1 ? 's' : ''} ${required.join(', ')} (the JSON Schema in schemas/ lists them all)`
      : 'write the configuration into it',
  );
}

// zod's own wording ("Invalid input: expected number, received undefined") tells neither that a field is missing nor what was found.
function problemOf(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys' && issue.keys.length > SHOWN_KEYS) return `unrecognized keys: ${listKeys(issue.keys)}`;
  if (issue.code !== 'invalid_type' || !issue.message.startsWith('Invalid input: expected ')) return issue.message;
  const expected = EXPECTED[issue.expected] ?? `a ${issue.expected}`;
  if (issue.input === undefined) return `required field missing: it must be ${expected}`;
  return `must be ${expected}, got ${describeValue(issue.input)}`;
}

const nestedMessages = (issues: readonly z.core.$ZodIssue[]) => issues.map((i) => i.message).join('; ');

const SHOWN_KEYS = 10;
const listKeys = (keys: string[]) =>
  keys
    .slice(0, SHOWN_KEYS)
    .map((k) => JSON.stringify(k))
    .join(', ') + (keys.length > SHOWN_KEYS ? ` and ${keys.length - SHOWN_KEYS} more` : '');

const EXPECTED: Partial<Record<string, string>> = {
  object: 'a mapping (key: value lines)',
  array: 'a list',
  int: 'a whole number',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
};

/** The type of a YAML value in the user's terms; numbers are shown, since "got a number" would not say why a whole number was refused. */
function describeValue(value: unknown): string {
  if (value === null) return 'nothing (null: the value after the ":" is empty)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'number') return Number.isFinite(value) ? `the number ${value}` : `${value} (not a finite number)`;
  if (typeof value === 'boolean') return `${value} (a boolean)`;
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'object') return 'a mapping';
  return typeof value;
}

function defaultFix(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.path.length === 0) return 'write the configuration as a mapping of fields (key: value lines)';
      if (issue.input === undefined) return `add the required field "${String(issue.path.at(-1))}"`;
      return `change its value to ${EXPECTED[issue.expected] ?? `a ${issue.expected}`}`;
    case 'unrecognized_keys':
      return `remove ${listKeys(issue.keys)}, or check its spelling against the JSON Schema in schemas/`;
    case 'invalid_value':
      return `use one of: ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      return issue.origin === 'array'
        ? `list at least ${String(issue.minimum)} item(s)`
        : `use a value ${issue.inclusive ? '>=' : '>'} ${String(issue.minimum)}`;
    case 'too_big':
      return `use a value ${issue.inclusive ? '<=' : '<'} ${String(issue.maximum)}`;
    case 'invalid_format':
      // A pattern's own message says what it allows; "regex format" would tell the reader nothing.
      return issue.format === 'regex' ? 'rename it following the rule above' : `write it in ${issue.format} format`;
    case 'custom':
      // A refinement may carry its own fix: .refine(check, { message, params: { fix } }).
      return typeof issue.params?.fix === 'string' ? issue.params.fix : 'change the value so it is unique and valid';
    case 'not_multiple_of':
      return `use a multiple of ${String(issue.divisor)}`;
    case 'invalid_union':
      return 'change it to one of the forms the JSON Schema in schemas/ allows here';
    case 'invalid_key':
      return `rename the key: ${nestedMessages(issue.issues)}`;
    case 'invalid_element':
      return `change the element: ${nestedMessages(issue.issues)}`;
  }
}
