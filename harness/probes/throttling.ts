import type { ThrottleEvent } from '../core/probe-readings.ts';

/** One reading of every core: its frequency now, its maximum, and how busy it was since the last reading (0-1; undefined when unknown). */
export interface FrequencySample {
  atMs: number;
  cores: { cpu: number; curKHz: number; maxKHz: number; busy?: number }[];
}

/** A busy core below this share of its maximum frequency is running throttled. */
export const THROTTLE_RATIO = 0.85;
/** A core busy for at least this share of the interval counts as busy. */
export const BUSY_SHARE = 0.5;
/** Consecutive throttled samples that make an event: one alone is a frequency transition caught mid-way. */
export const MIN_THROTTLED_SAMPLES = 2;

/**
 * Throttling events in a frequency trace: stretches of at least
 * MIN_THROTTLED_SAMPLES consecutive samples in which one core was busy (its
 * /proc/stat share) yet ran below THROTTLE_RATIO of its maximum frequency
 * (thermal or power-limit throttling, or a governor holding it down; idle
 * cores clocking down are not throttling). Without busy shares the fastest
 * core of each sample stands for the busy one.
 */
export function throttleEvents(trace: readonly FrequencySample[], options: { ratio?: number; busyShare?: number; minSamples?: number } = {}): ThrottleEvent[] {
  const ratio = options.ratio ?? THROTTLE_RATIO;
  const busyShare = options.busyShare ?? BUSY_SHARE;
  const minSamples = options.minSamples ?? MIN_THROTTLED_SAMPLES;
  const cpus = [...new Set(trace.flatMap((s) => s.cores.map((c) => c.cpu)))].sort((a, b) => a - b);
  const events: ThrottleEvent[] = [];
  for (const cpu of cpus) {
    let run: { startMs: number; endMs: number; lowestRatio: number; samples: number } | undefined;
    const close = () => {
      if (run && run.samples >= minSamples) events.push({ cpu, startMs: run.startMs, endMs: run.endMs, lowestRatio: run.lowestRatio });
      run = undefined;
    };
    for (const sample of trace) {
      const core = sample.cores.find((c) => c.cpu === cpu);
      const fastest = Math.max(...sample.cores.map((c) => c.curKHz / c.maxKHz));
      const share = core ? core.curKHz / core.maxKHz : 1;
      const busy = core !== undefined && (core.busy !== undefined ? core.busy >= busyShare : share === fastest);
      if (busy && share < ratio) {
        run = run
          ? { ...run, endMs: sample.atMs, lowestRatio: Math.min(run.lowestRatio, share), samples: run.samples + 1 }
          : { startMs: sample.atMs, endMs: sample.atMs, lowestRatio: share, samples: 1 };
      } else close();
    }
    close();
  }
  return events.sort((a, b) => a.startMs - b.startMs || a.cpu - b.cpu);
}
