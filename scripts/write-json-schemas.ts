// Regenerates schemas/*.json from the zod schemas. Usage: npm run schemas
import { mkdir, writeFile } from 'node:fs/promises';
import { jsonSchemas, jsonSchemaText } from '../harness/config/json-schema.ts';

await mkdir('schemas', { recursive: true });
for (const [name, schema] of Object.entries(jsonSchemas())) {
  await writeFile(`schemas/${name}`, jsonSchemaText(schema));
  console.log(`schemas/${name}`);
}
