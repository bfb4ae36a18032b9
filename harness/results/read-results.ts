import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, ConfigErrors, formatFieldPath } from '../config/errors.ts';
import { Results } from './schema.ts';

/** Reads a results.json (or the one inside a run folder), naming the file and field of anything wrong. */
export async function readResults(path: string): Promise<{ results: Results; file: string }> {
  const file = (await stat(path).then((s) => s.isDirectory(), () => false)) ? join(path, 'results.json') : path;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(file, undefined, code === 'ENOENT' ? 'results file not found' : `cannot read the results file (${code})`, 'pass a results.json written by edgebench run, or its run folder');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(file, undefined, `not valid JSON (${(error as Error).message})`, 'the file is damaged; use another run');
  }
  const version = (json as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (version !== 1) throw new ConfigError(file, 'schemaVersion', `results schema version ${JSON.stringify(version)} is not one this edgebench reads (1)`, 'compare runs written by the same edgebench version');
  const parsed = Results.safeParse(json);
  if (!parsed.success) {
    throw new ConfigErrors(parsed.error.issues.slice(0, 10).map((issue) => new ConfigError(file, formatFieldPath(issue.path), issue.message, 'the file does not match schemas/results.schema.json; was it edited by hand?')));
  }
  return { results: parsed.data, file };
}
