import type { SchedulingRecord } from '../core/results.ts';
import { percentileOfSorted, sortAscending } from '../stats/percentile.ts';

/** edgebench's own time for one runner process: from its dispatch until it is recorded, less the time spent in the runner and the thermal gate. */
export class ProcessClock {
  private readonly dispatchedAt = performance.now();
  private outsideMs = 0;

  /** Work that is not edgebench's own cost (the runner, the thermal gate): its time is left out. */
  async outside<T>(work: () => Promise<T>): Promise<T> {
    const began = performance.now();
    try {
      return await work();
    } finally {
      this.outsideMs += performance.now() - began;
    }
  }

  ownMs(): number {
    return performance.now() - this.dispatchedAt - this.outsideMs;
  }
}

/** edgebench's own costs over a run, summarised in results.scheduling.overhead. */
export class OverheadLog {
  private readonly perProcessMs: number[] = [];
  private readonly recordMs: number[] = [];

  process(ms: number): void {
    this.perProcessMs.push(ms);
  }

  /** Times recording a finished process (rebuilding its cell, queueing the rewrite of results.json). */
  recording<T>(work: () => T): T {
    const from = performance.now();
    const result = work();
    this.recordMs.push(performance.now() - from);
    return result;
  }

  /** The summary, with the scheduler's dispatch costs; none when no process was measured. */
  summary(dispatchMs: number[]): SchedulingRecord['overhead'] {
    if (!this.perProcessMs.length) return undefined;
    return { perProcessMs: msSummary(this.perProcessMs), recordMs: msSummary(this.recordMs), dispatchMs: msSummary(dispatchMs) };
  }
}

const msSummary = (values: number[]) => {
  const sorted = sortAscending(values);
  return { n: sorted.length, p50: percentileOfSorted(sorted, 0.5), max: sorted.at(-1) ?? 0 };
};
