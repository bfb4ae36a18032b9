import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { jsonSchemas, jsonSchemaText } from '../../harness/config/json-schema.ts';

describe('JSON Schema files', () => {
  it.each(Object.entries(jsonSchemas()))('schemas/%s matches the zod schema (run `npm run schemas` after changing a schema)', async (name, schema) => {
    expect(await readFile(`schemas/${name}`, 'utf8')).toBe(jsonSchemaText(schema));
  });

  it('describes the device kinds and suite fields editors complete', () => {
    const { 'devices.schema.json': devices, 'suite.schema.json': suite } = jsonSchemas() as Record<string, { properties: Record<string, unknown> }>;
    expect(JSON.stringify(devices)).toContain('"const":"local"');
    expect(Object.keys(suite!.properties)).toEqual(expect.arrayContaining(['name', 'task', 'dataset', 'warmup', 'iterations', 'runtime', 'variants']));
  });
});
