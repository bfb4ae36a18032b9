import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { jsonSchemas, jsonSchemaText } from '../config/json-schema.ts';

export function schemasCommand(program: Command): void {
  program
    .command('schemas')
    .description('Write JSON Schema files for devices.yaml, suites and results.json (for editor completion).')
    .addOption(new Option('-o, --out <dir>', 'output folder').default('schemas'))
    .action(async (opts: { out: string }) => {
      await mkdir(opts.out, { recursive: true });
      for (const [name, schema] of Object.entries(jsonSchemas())) {
        await writeFile(join(opts.out, name), jsonSchemaText(schema));
        console.log(join(opts.out, name));
      }
    });
}
