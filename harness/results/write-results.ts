import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Results } from './schema.ts';

/**
 * Writes results.json atomically (temp file in the same folder, then rename),
 * so a crash or Ctrl-C never leaves a half-written file behind.
 */
export async function writeResults(file: string, results: Results): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(Results.parse(results), null, 1)}\n`);
  await rename(temp, file);
}
