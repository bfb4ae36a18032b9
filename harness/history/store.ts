import { appendFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { METRICS } from '../compare/metrics.ts';
import { FixedMetricName } from '../core/budget.ts';
import { ConfigError } from '../config/errors.ts';
import { makeFolder } from '../files/atomic-write.ts';
import { OutputWriteError } from '../files/write-error.ts';
import type { Results } from '../core/results.ts';
import { readBoundedFile } from '../config/read-bounded-file.ts';

/**
 * The run history: one JSON line per measured cell of each stored run, with
 * the commit and branch it measured and the value of every metric compare
 * knows. JSON lines, not SQLite: appending is atomic per line and needs no
 * native driver (an npm SQLite driver downloads a prebuilt binary at install,
 * which an offline CI cannot), the file diffs and merges in git, and a
 * history of thousands of runs is read in milliseconds.
 */
export const HistoryEntry = z.strictObject({
  runId: z.string(),
  /** When the run started (ISO): the order of a series. */
  startedAt: z.string(),
  commit: z.string().optional(),
  branch: z.string().optional(),
  suite: z.string(),
  datasetSha256: z.string(),
  device: z.string(),
  /** The device's facts in one line, so a series never silently mixes hardware. */
  deviceFacts: z.string(),
  variant: z.string(),
  variantSha256: z.string(),
  metrics: z.partialRecord(FixedMetricName, z.number()),
});
export type HistoryEntry = z.infer<typeof HistoryEntry>;

export const DEFAULT_HISTORY_FILE = 'history/edgebench-history.jsonl';

/** The history entries of a run: its measured cells, each metric compare can read from them. */
export function historyEntries(results: Results, where: { commit?: string; branch?: string }): HistoryEntry[] {
  const facts = new Map(
    results.devices.map((d) => [
      d.id,
      d.facts ? [d.facts.cpuModel, d.facts.logicalCores, d.facts.memoryBytes, d.facts.os, d.facts.constraints ?? ''].join(' | ') : 'unknown',
    ]),
  );
  return results.cells
    .filter((cell) => cell.status === 'ok')
    .map((cell) => ({
      runId: results.runId,
      startedAt: results.startedAt,
      ...(where.commit ? { commit: where.commit } : {}),
      ...(where.branch ? { branch: where.branch } : {}),
      suite: results.suite.name,
      datasetSha256: results.suite.dataset.sha256,
      device: cell.deviceId,
      deviceFacts: facts.get(cell.deviceId) ?? 'unknown',
      variant: cell.variant.name,
      variantSha256: cell.variant.sha256,
      metrics: Object.fromEntries(
        Object.entries(METRICS).flatMap(([name, definition]) => {
          const value = definition.read(cell)?.value;
          return value === undefined ? [] : [[name, value]];
        }),
      ),
    }));
}

/** Appends a run to the history file; a run already stored (same run id) is refused, so a retried CI step does not count twice. */
export async function addToHistory(file: string, results: Results, where: { commit?: string; branch?: string }): Promise<{ added: number }> {
  const stored = await readHistory(file);
  if (stored.some((e) => e.runId === results.runId)) throw new Error(`run ${results.runId} is already in ${file}`);
  const entries = historyEntries(results, where);
  await makeFolder(dirname(file), file);
  await appendFile(file, entries.map((e) => `${JSON.stringify(e)}\n`).join('')).catch((error: Error) => Promise.reject(new OutputWriteError(file, error)));
  return { added: entries.length };
}

/**
 * The stored entries. A missing file is an empty history, unless `mustExist`:
 * a report asked to show a history that is not there is a typo, not a first run.
 */
export async function readHistory(file: string, options: { mustExist?: boolean } = {}): Promise<HistoryEntry[]> {
  let text: string;
  try {
    text = (await readBoundedFile(file, { what: 'history file' })).toString('utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !options.mustExist) return [];
    throw new ConfigError(
      file,
      undefined,
      code === 'ENOENT' ? 'history file not found' : `cannot read the history file (${code})`,
      'check the path, or write the history first with edgebench history add <results> --store <file>',
    );
  }
  return text.split('\n').flatMap((line, index) => {
    if (!line.trim()) return [];
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      json = undefined;
    }
    const parsed = HistoryEntry.safeParse(json);
    if (!parsed.success)
      throw new ConfigError(
        file,
        `line ${index + 1}`,
        `not a history entry (${json === undefined ? 'not JSON' : parsed.error.issues[0]?.message})`,
        'repair or delete that line: each line is one entry written by edgebench history add',
      );
    return [parsed.data];
  });
}
