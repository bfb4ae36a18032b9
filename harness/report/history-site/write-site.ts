import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { atomicWrite, makeFolder } from '../../files/atomic-write.ts';
import { historyEntries, type HistoryEntry } from '../../history/store.ts';
import { readResults } from '../../results/read-results.ts';
import { buildHistorySite, type SiteOptions } from './build-site.ts';

/** Runs read from folders of run folders (reports/<run-id>/results.json), and where each one's report is. */
export async function runsFromFolders(folders: string[]): Promise<{ entries: HistoryEntry[]; reports: Map<string, string> }> {
  const entries: HistoryEntry[] = [];
  const reports = new Map<string, string>();
  for (const folder of folders) {
    const children = (await readdir(folder, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => join(folder, d.name));
    for (const runDir of [folder, ...children]) {
      if (!existsSync(join(runDir, 'results.json'))) continue;
      const { results } = await readResults(join(runDir, 'results.json'));
      entries.push(...historyEntries(results, {}));
      if (existsSync(join(runDir, 'index.html'))) reports.set(results.runId, resolve(runDir, 'index.html'));
    }
  }
  return { entries, reports };
}

/**
 * Writes the history site into `outDir`, every file atomically. Runs of the store come first: a run also found in
 * a runs folder is taken from the store (which knows its commit) and linked to that folder's report.
 * `reportUrl` ("https://example.org/runs/{runId}/index.html") links runs no folder holds.
 */
export async function writeHistorySite(
  outDir: string,
  input: { stored: HistoryEntry[]; folders: string[]; reportUrl?: string } & Omit<SiteOptions, 'reportOf'>,
): Promise<{ files: string[]; suites: number; runs: number }> {
  const fromFolders = await runsFromFolders(input.folders);
  const storedRuns = new Set(input.stored.map((e) => e.runId));
  const entries = [...input.stored, ...fromFolders.entries.filter((e) => !storedRuns.has(e.runId))];
  const reportOf = (runId: string) => {
    const local = fromFolders.reports.get(runId);
    if (local) return relative(resolve(outDir), local).split(sep).join('/');
    return input.reportUrl?.replaceAll('{runId}', encodeURIComponent(runId));
  };
  const files = buildHistorySite(entries, { ...input, reportOf });
  await makeFolder(outDir);
  const written: string[] = [];
  for (const file of files) {
    const path = join(outDir, file.path);
    await makeFolder(dirname(path), path);
    await atomicWrite(path, file.text);
    written.push(path);
  }
  return { files: written, suites: new Set(entries.map((e) => e.suite)).size, runs: new Set(entries.map((e) => e.runId)).size };
}
