import type { TimedWindow } from './probe.ts';
import type { Trace } from '../core/probe-readings.ts';

/**
 * Increase of a hardware energy counter between two readings, or undefined
 * when the counter stepped back. RAPL's energy_uj wraps to 0 after
 * max_energy_range_uj (Linux powercap ABI), so a reading below the previous
 * one is one wrap when the increase that implies is under half the range:
 * samples come far faster than that (half a package zone's 262 kJ is over two
 * hours at 15 W). A reading just below the previous one is not a wrap (that
 * would be a whole range of energy between two samples) but a counter read
 * out of order or reset: it counts no energy, and the counter is followed
 * from its new value.
 */
export function counterDelta(previous: number, current: number, range: number): number | undefined {
  if (current >= previous) return current - previous;
  const wrapped = current + range - previous;
  return wrapped < range / 2 ? wrapped : undefined;
}

/** Trapezoid rule: cumulative energy (J) at each sample from power samples [ms, W]. */
export function integratePower(power: Trace): Trace {
  let joules = 0;
  return power.map(([ms, watts], i) => {
    if (i > 0) {
      const [previousMs, previousWatts] = power[i - 1]!;
      joules += ((watts + previousWatts) / 2) * ((ms - previousMs) / 1000);
    }
    return [ms, joules];
  });
}

/** A cumulative trace's value at `ms`, linearly interpolated between the samples around it (clamped at the ends). */
export function valueAt(trace: Trace, ms: number): number {
  if (trace.length === 0) throw new RangeError('valueAt: empty trace');
  if (ms <= trace[0]![0]) return trace[0]![1];
  for (let i = 1; i < trace.length; i++) {
    const [t1, v1] = trace[i]!;
    if (ms <= t1) {
      const [t0, v0] = trace[i - 1]!;
      return t1 === t0 ? v1 : v0 + ((v1 - v0) * (ms - t0)) / (t1 - t0);
    }
  }
  return trace.at(-1)![1];
}

/** Energy between the window's edges from a cumulative energy trace; the whole trace when there is no window. */
export function joulesIn(trace: Trace, window: TimedWindow | undefined): number {
  if (trace.length === 0) return 0;
  const start = window?.start ?? trace[0]![0];
  const end = window?.end ?? trace.at(-1)![0];
  return Math.max(0, valueAt(trace, end) - valueAt(trace, start));
}
