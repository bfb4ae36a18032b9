import { historyEntries, type HistoryEntry } from '../../harness/history/store.ts';
import type { Results } from '../../harness/core/results.ts';

/** Start time of run k of a history: one run a day, so date order is run order. */
export const dayOf = (k: number) => new Date(Date.UTC(2026, 0, 1 + k)).toISOString();

/** Run k with its start date set: the run `make` builds, started on day k. */
export function datedRun(k: number, make: (k: number) => Results): Results {
  return { ...make(k), startedAt: dayOf(k) };
}

/** The history entries of runs 1..count, each at the commit and branch `where` gives it. */
export function historyOf(count: number, make: (k: number) => Results, where: (k: number) => { commit?: string; branch?: string }): HistoryEntry[] {
  return Array.from({ length: count }, (_, i) => historyEntries(datedRun(i + 1, make), where(i + 1))).flat();
}

/** A 40-character commit name for run k, like git's: "c7" padded with zeros. */
export const commitOf = (k: number) => `c${k}`.padEnd(40, '0');
