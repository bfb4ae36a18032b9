import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ConfigError, ConfigErrors } from '../../harness/config/errors.ts';
import { loadDevices } from '../../harness/config/load-devices.ts';
import { loadSuite } from '../../harness/config/load-suite.ts';
import { loadDataset } from '../../harness/plan/dataset.ts';
import { feedsForExample } from '../../harness/tasks/feeds.ts';

/**
 * Hostile and broken configs: thousands of mutations of the real devices.yaml
 * and demo suite, at the text level (bytes cut, inserted, lines doubled or
 * swapped) and at the structure level (values replaced by anything, keys
 * dropped or added). Each must load, or fail with ConfigError(s) that name
 * the file and a field or line, and a fix: never any other exception.
 */
const RUNS_PER_MUTATOR = 3000;
const dir = mkdtempSync(join(tmpdir(), 'edgebench-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ORIGINALS = {
  devices: readFileSync(new URL('../../devices.yaml', import.meta.url), 'utf8'),
  suite: readFileSync(new URL('../../suites/demo.yaml', import.meta.url), 'utf8'),
};
const LOADERS = { devices: loadDevices, suite: loadSuite };

const yamlNoise = fc.string({
  unit: fc.constantFrom(
    ':',
    '-',
    ' ',
    '  ',
    '\n',
    '\t',
    '"',
    "'",
    '[',
    ']',
    '{',
    '}',
    '&a',
    '*a',
    '!!',
    '#',
    ',',
    '?',
    '|',
    '>',
    '%',
    '@',
    '`',
    'x',
    '1',
    'null',
    '~',
    '\u0000',
    '\u202e',
    'é',
  ),
  maxLength: 12,
});

const textMutation = (text: string) =>
  fc.oneof(
    fc.record({ at: fc.nat(text.length), cut: fc.nat(40) }).map(({ at, cut }) => text.slice(0, at) + text.slice(at + cut)),
    fc.record({ at: fc.nat(text.length), noise: yamlNoise }).map(({ at, noise }) => text.slice(0, at) + noise + text.slice(at)),
    fc.record({ line: fc.nat(200), times: fc.integer({ min: 2, max: 3 }) }).map(({ line, times }) => {
      const lines = text.split('\n');
      const k = line % lines.length;
      return [...lines.slice(0, k), ...Array(times).fill(lines[k]), ...lines.slice(k + 1)].join('\n');
    }),
    fc.record({ a: fc.nat(200), b: fc.nat(200) }).map(({ a, b }) => {
      const lines = text.split('\n');
      const [i, j] = [a % lines.length, b % lines.length];
      [lines[i], lines[j]] = [lines[j]!, lines[i]!];
      return lines.join('\n');
    }),
  );

/** Every path to a value in a parsed document. */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return [prefix, ...value.flatMap((v, i) => pathsOf(v, [...prefix, i]))];
  if (value && typeof value === 'object') return [prefix, ...Object.entries(value).flatMap(([k, v]) => pathsOf(v, [...prefix, k]))];
  return [prefix];
}

const structureMutation = (text: string) => {
  const doc = parse(text) as unknown;
  const paths = pathsOf(doc).filter((p) => p.length > 0);
  return fc
    .record({
      path: fc.constantFrom(...paths),
      how: fc.constantFrom('replace', 'delete', 'add'),
      value: fc.anything({ maxDepth: 2, withNullPrototype: false }),
      key: fc.string({ maxLength: 10 }),
    })
    .map(({ path, how, value, key }) => {
      const copy = structuredClone(doc) as Record<string | number, unknown>;
      const parent = path.slice(0, -1).reduce<Record<string | number, unknown>>((node, k) => node[k] as Record<string | number, unknown>, copy);
      const last = path.at(-1)!;
      if (how === 'replace') parent[last] = value;
      else if (how === 'delete') {
        if (Array.isArray(parent)) parent.splice(Number(last), 1);
        else delete parent[last];
      } else if (parent[last] && typeof parent[last] === 'object' && !Array.isArray(parent[last])) (parent[last] as Record<string, unknown>)[key] = value;
      else parent[last] = { [key]: value };
      try {
        return stringify(copy);
      } catch {
        return `${JSON.stringify(copy)}\n`;
      }
    });
};

/** Loads a mutated document; returns what happened, and fails the property on anything but a clean outcome. */
function loadsCleanly(kind: keyof typeof LOADERS, text: string, file: string): boolean {
  writeFileSync(file, text);
  try {
    LOADERS[kind](file);
    return true;
  } catch (error) {
    const errors = error instanceof ConfigErrors ? error.errors : error instanceof ConfigError ? [error] : undefined;
    if (!errors) throw new Error(`an uncaught ${(error as Error)?.constructor?.name}: ${(error as Error)?.message} for:\n${text}`);
    for (const e of errors) {
      // Every error says where (file, and a line or a field) and what to do.
      if (!e.file.startsWith(file) || !(e.field || /:\d+/.test(e.file)) || !e.problem || !e.fix)
        throw new Error(`an error that does not name its place or fix: ${e.message}\nfor:\n${text}`);
    }
    return true;
  }
}

describe('fuzzed configs end in a valid config or clean errors naming the field, never an exception', () => {
  for (const kind of ['devices', 'suite'] as const) {
    for (const [name, mutation] of [
      ['text', textMutation],
      ['structure', structureMutation],
    ] as const) {
      it(`${RUNS_PER_MUTATOR} ${name}-level mutations of the ${kind === 'devices' ? 'device inventory' : 'demo suite'}`, () => {
        let n = 0;
        fc.assert(
          fc.property(mutation(ORIGINALS[kind]), (text) => loadsCleanly(kind, text, join(dir, `${kind}-${name}-${n++}.yaml`))),
          { numRuns: RUNS_PER_MUTATOR, seed: 20261130 },
        );
        expect(n).toBeGreaterThanOrEqual(RUNS_PER_MUTATOR);
      }, 120_000);
    }
  }
});

describe('fuzzed dataset lines: token ids and byte-order marks end in the exact ids written, or errors naming the line', () => {
  const TOKENS = ['0', '7', '49', '4e1', '50', '-1', '2.5', '9007199254740991', '9007199254740993', '18446744073709551616', '-9223372036854775809'];
  const INPUT = { name: 'input_ids', type: 'int64' as const, dims: ['batch', 'sequence'], indexes: { table: 'embedding', rows: 50 } };
  const exact = (token: string) => (/^-?\d+$/.test(token) ? BigInt(token) : Number.isInteger(Number(token)) ? BigInt(Number(token)) : undefined);
  const line = fc.record({ ids: fc.array(fc.constantFrom(...TOKENS), { minLength: 1, maxLength: 4 }), bomAt: fc.option(fc.nat(60), { freq: 3 }) });

  it('300 datasets of token ids, some with byte-order marks', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(line, { minLength: 1, maxLength: 5 }), async (leadingBom, lines) => {
        const raw = lines.map(({ ids, bomAt }) => {
          const json = `{"inputs": {"input_ids": [[${ids.join(', ')}]]}, "label": "b"}`;
          return bomAt === null ? json : json.slice(0, bomAt % json.length) + '\uFEFF' + json.slice(bomAt % json.length);
        });
        // A mark at the very start of the file is the file's own byte-order mark, which is accepted.
        const marked = lines.map(({ bomAt }, index) => bomAt !== null && !(index === 0 && !leadingBom && raw[0]!.startsWith('\uFEFF')));
        const file = join(dir, `dataset-${n++}.jsonl`);
        writeFileSync(file, `${leadingBom ? '\uFEFF' : ''}${raw.join('\n')}\n`);
        const named = (errors: ConfigError[]) => {
          for (const e of errors)
            if (!/:\d+$/.test(e.file) || !e.file.startsWith(file) || !e.problem || !e.fix) throw new Error(`an error without its line or fix: ${e.message}`);
        };
        let dataset;
        try {
          dataset = await loadDataset(file, 'suite.yaml');
        } catch (error) {
          if (!(error instanceof ConfigErrors)) throw error;
          named(error.errors);
          // Every line holding a byte-order mark (other than the file's first character) is named for it.
          for (const [index, isMarked] of marked.entries()) {
            if (isMarked) expect(error.errors.some((e) => e.file === `${file}:${index + 1}` && e.problem.includes('a byte-order mark (U+FEFF)'))).toBe(true);
          }
          return;
        }
        expect(marked.some(Boolean)).toBe(false);
        for (const example of dataset.examples) {
          const written = lines[example.line - 1]!.ids;
          try {
            const { data } = feedsForExample(example, [INPUT], file, 'v').input_ids!;
            // Accepted ids are exactly the ids written, and inside the vocabulary.
            expect(data.map((v) => BigInt(v))).toEqual(written.map(exact));
            expect(data.every((v) => v >= 0 && v < 50)).toBe(true);
          } catch (error) {
            if (!(error instanceof ConfigError)) throw error;
            named([error]);
            expect(error.file).toBe(`${file}:${example.line}`);
            expect(
              written.some((t) => {
                const v = exact(t);
                return v === undefined || v < 0n || v >= 50n;
              }),
            ).toBe(true);
          }
        }
      }),
      { numRuns: 300, seed: 20261204 },
    );
    expect(n).toBeGreaterThanOrEqual(300);
  }, 120_000);
});

describe('names holding control characters are refused at load, naming the field, whatever the character and place', () => {
  /** Every character class a terminal or the Actions runner acts on: C0, DEL, C1, line and paragraph separators, bidi controls. */
  const unsafe = fc
    .oneof(
      fc.integer({ min: 0x00, max: 0x1f }),
      fc.integer({ min: 0x7f, max: 0x9f }),
      fc.constantFrom(0x2028, 0x2029, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069),
    )
    .map((code) => String.fromCharCode(code));
  const fields: [string, (suite: Record<string, unknown>, value: string) => void][] = [
    ['name', (suite, value) => (suite.name = value)],
    ['budgets[0].name', (suite, value) => (suite.budgets = [{ name: value, metric: 'latency.p50', max: 100 }])],
    ['budgets[0].deviceClass', (suite, value) => (suite.budgets = [{ deviceClass: value, metric: 'latency.p50', max: 100 }])],
  ];
  for (const [field, set] of fields) {
    it(`${field}`, () => {
      let n = 0;
      fc.assert(
        fc.property(fc.string({ maxLength: 8 }), unsafe, fc.string({ maxLength: 8 }), (before, character, after) => {
          const suite = parse(ORIGINALS.suite) as Record<string, unknown>;
          set(suite, `x${before}${character}${after}`);
          const file = join(dir, `control-${field}-${n++}.yaml`);
          writeFileSync(file, stringify(suite));
          let errors: ConfigError[] = [];
          try {
            loadSuite(file);
          } catch (error) {
            errors = error instanceof ConfigErrors ? error.errors : error instanceof ConfigError ? [error] : [];
          }
          const named = errors.find((e) => e.field === field && /control character U\+[0-9A-F]{4}/.test(e.problem));
          expect(named, `${JSON.stringify(character)} in ${field}: ${errors.map((e) => e.message).join('; ')}`).toBeDefined();
          expect(named!.fix).toMatch(/remove the character/);
        }),
        { numRuns: 300, seed: 20261204 },
      );
    });
  }
});
