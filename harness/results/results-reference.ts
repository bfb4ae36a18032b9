import { z } from 'zod';
import * as budgetTypes from '../core/budget.ts';
import * as cellThermalTypes from '../core/cell-thermal.ts';
import * as deviceFactsTypes from '../core/device-facts.ts';
import * as metricTypes from '../core/metric.ts';
import * as modelVariantTypes from '../core/model-variant.ts';
import * as probeReadingTypes from '../core/probe-readings.ts';
import * as qualityTypes from '../core/quality.ts';
import * as quantizationTypes from '../core/quantization-settings.ts';
import * as resultsTypes from '../core/results.ts';
import * as runnerProtocolTypes from '../core/runner-protocol.ts';
import * as runtimeTypes from '../core/runtime.ts';
import * as suiteTypes from '../core/suite.ts';
import * as workloadTypes from '../core/workload.ts';
import * as summaryTypes from '../core/summary.ts';

/**
 * The results.json reference (docs/results-reference.md), rendered from the zod
 * schema's `.describe()` texts so that the documentation is the schema. Every
 * object schema exported from a module below gets its own section, named as in
 * the code; anything else is inlined where it is used.
 */
const CORE_MODULES: ReadonlyArray<readonly [file: string, exports: Record<string, unknown>]> = [
  ['harness/core/results.ts', resultsTypes],
  ['harness/core/model-variant.ts', modelVariantTypes],
  ['harness/core/quantization-settings.ts', quantizationTypes],
  ['harness/core/device-facts.ts', deviceFactsTypes],
  ['harness/core/metric.ts', metricTypes],
  ['harness/core/summary.ts', summaryTypes],
  ['harness/core/quality.ts', qualityTypes],
  ['harness/core/cell-thermal.ts', cellThermalTypes],
  ['harness/core/probe-readings.ts', probeReadingTypes],
  ['harness/core/runner-protocol.ts', runnerProtocolTypes],
  ['harness/core/suite.ts', suiteTypes],
  ['harness/core/runtime.ts', runtimeTypes],
  ['harness/core/budget.ts', budgetTypes],
  ['harness/core/workload.ts', workloadTypes],
];

type Schema = z.core.$ZodType;

/** The parts of a zod v4 schema definition this renderer reads (z.core.$ZodTypeDef, loosely). */
interface Def {
  type: string;
  innerType?: Schema;
  element?: Schema;
  items?: Schema[];
  rest?: Schema | null;
  keyType?: Schema;
  valueType?: Schema;
  options?: Schema[];
  discriminator?: string;
  shape?: Record<string, Schema>;
  values?: unknown[];
  entries?: Record<string, unknown>;
  format?: string;
  checks?: Array<{ _zod: { def: { format?: string } } }>;
  in?: Schema;
  out?: Schema;
  parts?: unknown[];
}

const defOf = (schema: Schema): Def => schema._zod.def as unknown as Def;

interface Named {
  name: string;
  file: string;
  /** The exported schema itself: its own description, not a field's, introduces the section. */
  schema: Schema;
}

/** Export name and file of every schema the core modules export, looked up by identity. */
function namedSchemas(): Map<Schema, Named> {
  const names = new Map<Schema, Named>();
  for (const [file, exports] of CORE_MODULES) {
    for (const [name, value] of Object.entries(exports)) {
      if (value instanceof z.ZodType && !names.has(value)) names.set(value, { name, file, schema: value });
    }
  }
  return names;
}

/** A `.describe()` copy keeps its original as parent: follow the chain to find the export it came from. */
function nameOf(schema: Schema, names: Map<Schema, Named>): Named | undefined {
  for (let s: Schema | undefined = schema; s; s = s._zod.parent) {
    const named = names.get(s);
    if (named) return named;
  }
  return undefined;
}

const NAMED = namedSchemas();

function descriptionOf(schema: Schema): string | undefined {
  return z.globalRegistry.get(schema)?.description;
}

/**
 * A field's own description: one given where the field is declared, not one its
 * type carries (that introduces the type's section), so that a new field of a
 * described type still needs its own.
 */
function fieldDescriptionOf(schema: Schema): string | undefined {
  return NAMED.has(schema) || !z.globalRegistry.has(schema) ? undefined : descriptionOf(schema);
}

/** Peels optional, default and other wrappers: the value's own schema, whether it may be absent, and the first description found on the way in. */
function unwrap(schema: Schema): { inner: Schema; optional: boolean; nullable: boolean; description: string | undefined } {
  let inner = schema;
  let optional = false;
  let nullable = false;
  let description = fieldDescriptionOf(schema);
  for (;;) {
    const def = defOf(inner);
    if (def.type === 'optional') optional = true;
    else if (def.type === 'nullable') nullable = true;
    else if (!['default', 'prefault', 'readonly', 'nonoptional', 'catch'].includes(def.type)) break;
    inner = def.innerType!;
    description ??= fieldDescriptionOf(inner);
  }
  return { inner, optional, nullable, description };
}

const isObject = (schema: Schema): boolean => defOf(schema).type === 'object';
const isObjectUnion = (schema: Schema): boolean => defOf(schema).type === 'union' && defOf(schema).options!.every((o) => isObject(unwrap(o).inner));

/** The key whose literal value tells a union's object options apart, if there is one. */
function discriminatorOf(schema: Schema): string | undefined {
  const def = defOf(schema);
  if (def.discriminator) return def.discriminator;
  const shapes = def.options!.map((o) => defOf(unwrap(o).inner).shape!);
  return Object.keys(shapes[0]!).find((key) => shapes.every((shape) => shape[key] && defOf(unwrap(shape[key]!).inner).type === 'literal'));
}

export interface ReferenceRow {
  /** Relative to the section: `a.b[].c`; `?` after a field that may be absent. */
  path: string;
  type: string;
  description: string | undefined;
  /** A row that only names which option of a union the rows below it belong to. */
  heading?: boolean;
}

export interface ReferenceSection {
  name: string;
  file: string;
  description: string | undefined;
  /** Where the section's schema occurs in a results file. */
  usedAt: string[];
  rows: ReferenceRow[];
}

/**
 * Walks the schema from its root: one section per named object (or union of
 * objects) schema, in the order first met, each listing its fields.
 */
export function referenceSections(root: Schema, rootName = 'Results', rootFile = 'harness/core/results.ts'): ReferenceSection[] {
  const sections = new Map<string, ReferenceSection>();
  const pending: Array<{ schema: Schema; section: ReferenceSection }> = [];

  const sectionFor = (named: Named, at: string): ReferenceSection => {
    let section = sections.get(named.name);
    if (!section) {
      section = { name: named.name, file: named.file, description: descriptionOf(named.schema), usedAt: [], rows: [] };
      sections.set(named.name, section);
      pending.push({ schema: named.schema, section });
    }
    section.usedAt.push(at);
    return section;
  };

  /** The type column for a value; objects and unions of objects also add their fields' rows under `path`. */
  const typeOf = (schema: Schema, path: string, absolute: string, rows: ReferenceRow[], expand = false): string => {
    const named = expand ? undefined : nameOf(schema, NAMED);
    if (named && (isObject(schema) || isObjectUnion(schema))) {
      sectionFor(named, absolute);
      return `[${named.name}](#${named.name.toLowerCase()})`;
    }
    const def = defOf(schema);
    switch (def.type) {
      case 'object':
        addFields(schema, path, absolute, rows);
        return 'object';
      case 'array': {
        const element = unwrap(def.element!);
        const elementType = typeOf(element.inner, `${path}[]`, `${absolute}[]`, rows);
        const union = element.nullable ? `${elementType} \\| null` : elementType;
        return union.includes('\\|') ? `(${union})[]` : `${union}[]`;
      }
      case 'tuple':
        return `[${def.items!.map((item) => typeOf(unwrap(item).inner, path, absolute, [])).join(', ')}]`;
      case 'record':
        return `record<${typeOf(def.keyType!, path, absolute, [])}, ${typeOf(unwrap(def.valueType!).inner, `${path}.<key>`, `${absolute}.<key>`, rows)}>`;
      case 'union':
        if (isObjectUnion(schema)) {
          addOptions(schema, path, absolute, rows);
          return 'object';
        }
        return def.options!.map((o) => typeOf(unwrap(o).inner, path, absolute, rows)).join(' \\| ');
      case 'literal':
        return def.values!.map((v) => `\`${JSON.stringify(v)}\``).join(' \\| ');
      case 'enum':
        return Object.values(def.entries!)
          .map((v) => `\`${JSON.stringify(v)}\``)
          .join(' \\| ');
      case 'string':
        return def.format === 'datetime' ? 'string (ISO 8601 date-time, UTC)' : 'string';
      case 'number':
        return def.checks?.some((c) => c._zod.def.format?.includes('int')) ? 'integer' : 'number';
      case 'pipe':
        return typeOf(def.out!, path, absolute, rows);
      case 'template_literal':
        // A pattern such as `pp<integer>`: literal parts as written, schema parts by their type.
        return `\`${def.parts!.map((part) => (typeof part === 'object' && part !== null ? `<${typeOf(part as Schema, path, absolute, []).replaceAll('`', '').replaceAll('"', '')}>` : String(part))).join('')}\``;
      default:
        return def.type;
    }
  };

  const addFields = (schema: Schema, path: string, absolute: string, rows: ReferenceRow[], skip?: string): void => {
    for (const [key, field] of Object.entries(defOf(schema).shape!)) {
      if (key === skip) continue;
      const { inner, optional, nullable, description } = unwrap(field);
      const fieldPath = `${path === '' ? '' : `${path}.`}${key}`;
      const fieldAbsolute = `${absolute === '' ? '' : `${absolute}.`}${key}`;
      const row: ReferenceRow = { path: `${fieldPath}${optional ? '?' : ''}`, type: '', description };
      rows.push(row);
      const type = typeOf(inner, fieldPath, fieldAbsolute, rows);
      row.type = nullable ? `${type} \\| null` : type;
    }
  };

  const addOptions = (schema: Schema, path: string, absolute: string, rows: ReferenceRow[]): void => {
    const key = discriminatorOf(schema);
    defOf(schema).options!.forEach((option, index) => {
      const inner = unwrap(option).inner;
      const tag = key === undefined ? undefined : defOf(unwrap(defOf(inner).shape![key]!).inner).values![0];
      const label = key === undefined ? `option ${index + 1}` : `${path === '' ? '' : `${path}.`}${key} = ${JSON.stringify(tag)}`;
      rows.push({
        path: label,
        type: '',
        description: fieldDescriptionOf(unwrap(defOf(inner).shape![key ?? ''] ?? inner).inner) ?? fieldDescriptionOf(inner),
        heading: true,
      });
      // The discriminator's own description is the heading's; the option's other fields follow.
      addFields(inner, path, absolute, rows, key);
    });
  };

  const rootSection: ReferenceSection = { name: rootName, file: rootFile, description: descriptionOf(root), usedAt: [], rows: [] };
  sections.set(rootName, rootSection);
  typeOf(root, '', '', rootSection.rows, true);
  for (let next = pending.shift(); next; next = pending.shift()) {
    typeOf(next.schema, '', next.section.usedAt[0]!, next.section.rows, true);
  }
  return [...sections.values()];
}

/** Fields (and union options) whose description is missing: the reference would show a blank. */
export function undescribedFields(root: Schema): string[] {
  return referenceSections(root).flatMap((section) => section.rows.filter((row) => !row.description?.trim()).map((row) => `${section.name}: ${row.path}`));
}

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** docs/results-reference.md */
export function renderResultsReference(root: Schema = resultsTypes.Results): string {
  const sections = referenceSections(root);
  const lines = [
    '[Documentation index](README.md) · [results.json](results-json.md)',
    '',
    '# results.json reference',
    '',
    '<!-- Generated from the zod schema by `npm run docs:results` (harness/results/results-reference.ts); edit the `.describe()` texts in harness/core/, not this file. -->',
    '',
    'Every field of a results file, one section per type as named in the code. `?` after a field: it may be absent.',
    '`[]` in a path: each element of an array. A row in bold names the option of a union the rows below it belong to.',
    'Metrics say where each number came from: `source` is `"measured"` (with the `method`), `"estimated"` (`from` what) or `"unavailable"` (with the `reason`).',
    '',
    'Sections: ' + sections.map((s) => `[${s.name}](#${s.name.toLowerCase()})`).join(' · '),
  ];
  for (const section of sections) {
    lines.push('', `## ${section.name}`, '');
    if (section.description) lines.push(section.description, '');
    lines.push(`Defined in [\`${section.file}\`](../${section.file}).`);
    if (section.usedAt.length > 0) lines.push(`Found at: ${section.usedAt.map((at) => `\`${at}\``).join(', ')}.`);
    lines.push('', '| path | type | description |', '| --- | --- | --- |');
    for (const row of section.rows) {
      lines.push(
        row.heading
          ? `| **${cell(row.path)}** | | ${cell(row.description ?? '')} |`
          : `| \`${cell(row.path)}\` | ${row.type} | ${cell(row.description ?? '')} |`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
