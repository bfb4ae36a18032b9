import type { AdaptiveRepeatsOptions, RepeatStop } from '../core/adaptive-repeats.ts';
import type { CellResult } from '../core/results.ts';
import type { DeviceLatency } from '../devices/driver.ts';
import { median } from '../stats/percentile.ts';
import { meanCi } from '../stats/mean-ci.ts';

/** Adaptive repeats as a run applies them: the target resolved (the suite's compare threshold unless set), the most processes a cell may run. */
export interface RepeatPolicy {
  enabled: boolean;
  minRepeats: number;
  maxRepeats: number;
  precision: number;
}

export function repeatPolicy(options: AdaptiveRepeatsOptions, compareThreshold: number, maxRepeats: number, ab: boolean): RepeatPolicy {
  return { enabled: options.enabled && !ab, minRepeats: options.minRepeats, maxRepeats, precision: options.precision ?? compareThreshold };
}

/** Each runner process's p50 latency, in repeat order. */
export function processP50s(cell: CellResult): number[] {
  const byRepeat = new Map<number, number[]>();
  for (const sample of cell.samples) {
    const repeat = sample.repeat ?? 1;
    byRepeat.set(repeat, [...(byRepeat.get(repeat) ?? []), sample.latencyMs]);
  }
  return [...byRepeat.keys()].sort((a, b) => a - b).map((repeat) => median(byRepeat.get(repeat)!));
}

/**
 * Where a cell stands after its latest process: precise once, after minRepeats, the 95% CI of the mean of its
 * per-process p50s is within ±precision of that mean; otherwise it goes on until maxRepeats. A failed cell stops
 * (its failure is the result); so does a cell on a device whose latencies are emulated, after its first process.
 * `unfinished` until one of these holds.
 */
export function repeatStop(cell: CellResult, policy: RepeatPolicy, latency: DeviceLatency = 'measured'): RepeatStop {
  const processes = cell.repeats?.length ?? 1;
  const ci = meanCi(processP50s(cell));
  const reason =
    cell.status === 'failed'
      ? 'failed'
      : policy.enabled && latency === 'emulated'
        ? 'emulated'
        : policy.enabled && processes >= policy.minRepeats && ci !== undefined && ci.relativeHalfWidth <= policy.precision
          ? 'precise'
          : processes >= policy.maxRepeats
            ? 'repeats'
            : 'unfinished';
  return {
    processes,
    reason,
    ...(ci && Number.isFinite(ci.relativeHalfWidth) ? { p50Ci95RelativeHalfWidth: Number(ci.relativeHalfWidth.toPrecision(4)) } : {}),
    ...(policy.enabled ? { targetPrecision: policy.precision } : {}),
    minRepeats: Math.min(policy.minRepeats, policy.maxRepeats),
    maxRepeats: policy.maxRepeats,
  };
}

/** The run's repeats in one line: how many processes ran of the most allowed, and why the cells stopped. */
export function describeRepeatStops(cells: readonly CellResult[]): string | undefined {
  const stops = cells.flatMap((c) => (c.repeatStop ? [c.repeatStop] : []));
  if (stops.length === 0) return undefined;
  const ran = stops.reduce((n, s) => n + s.processes, 0);
  const most = stops.reduce((n, s) => n + s.maxRepeats, 0);
  const count = (reason: RepeatStop['reason']) => stops.filter((s) => s.reason === reason).length;
  const target = stops.find((s) => s.targetPrecision !== undefined)?.targetPrecision;
  const parts = [
    count('precise') ? `${count('precise')} reached ±${((target ?? 0) * 100).toFixed(1)}% on p50 early` : '',
    count('emulated') ? `${count('emulated')} on an emulated device ran one (its latencies are the emulator's)` : '',
    count('repeats') ? `${count('repeats')} ran every repeat` : '',
    count('failed') ? `${count('failed')} failed` : '',
    count('unfinished') ? `${count('unfinished')} unfinished` : '',
  ].filter(Boolean);
  return `runner processes: ${ran} of at most ${most}; of ${stops.length} cell(s), ${parts.join(', ')}`;
}
