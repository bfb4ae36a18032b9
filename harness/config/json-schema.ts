import { z } from 'zod';
import { Results } from '../core/results.ts';
import { DevicesFile } from '../core/device-spec.ts';
import { Suite } from '../core/suite.ts';

/**
 * JSON Schema files generated from the zod schemas, for editor completion
 * (yaml-language-server reads the `# yaml-language-server: $schema=` comment).
 * test/config/json-schema.test.ts keeps the committed copies in sync.
 */
export function jsonSchemas(): Record<string, unknown> {
  return {
    'devices.schema.json': z.toJSONSchema(DevicesFile, { io: 'input' }),
    'suite.schema.json': z.toJSONSchema(Suite, { io: 'input' }),
    'results.schema.json': z.toJSONSchema(Results, { io: 'output' }),
  };
}

export function jsonSchemaText(schema: unknown): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}
