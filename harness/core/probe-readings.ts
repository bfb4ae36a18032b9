import { z } from 'zod';

/**
 * What the probes recorded for one runner process, kept raw in results.json
 * (results/energy-thermal.ts computes the cell's metrics from it). Times are
 * milliseconds since the runner was started, on the edgebench process's clock.
 */

/** [ms since the runner started, value] pairs, in time order. */
export const Trace = z.array(z.tuple([z.number(), z.number()]));
export type Trace = z.infer<typeof Trace>;

export const EnergyReading = z.discriminatedUnion('source', [
  z.strictObject({
    source: z.literal('measured'),
    probe: z.string(),
    /** Energy over the runner's timed phase. */
    joules: z.number().nonnegative(),
    method: z.string(),
    /** Cumulative energy since the probe started, in J. */
    trace: Trace,
  }),
  z.strictObject({ source: z.literal('estimated'), probe: z.string(), joules: z.number().nonnegative(), from: z.string() }),
  z.strictObject({ source: z.literal('unavailable'), reason: z.string() }),
]);
export type EnergyReading = z.infer<typeof EnergyReading>;

export const TemperatureReading = z.discriminatedUnion('source', [
  z.strictObject({
    source: z.literal('measured'),
    probe: z.string(),
    /** Which sensor(s) the values are, e.g. "x86_pkg_temp (thermal_zone1)". */
    sensor: z.string(),
    method: z.string(),
    /** °C. */
    trace: Trace,
  }),
  z.strictObject({ source: z.literal('unavailable'), reason: z.string() }),
]);
export type TemperatureReading = z.infer<typeof TemperatureReading>;

/** A stretch of samples in which a busy core ran well below its maximum frequency. */
export const ThrottleEvent = z.strictObject({
  cpu: z.number().int().nonnegative(),
  startMs: z.number(),
  endMs: z.number(),
  /** Lowest current / maximum frequency seen in the stretch. */
  lowestRatio: z.number(),
});
export type ThrottleEvent = z.infer<typeof ThrottleEvent>;

export const ThrottlingReading = z.discriminatedUnion('source', [
  z.strictObject({
    source: z.literal('measured'),
    probe: z.string(),
    governor: z.string().optional(),
    method: z.string(),
    samples: z.number().int().nonnegative(),
    events: z.array(ThrottleEvent),
  }),
  z.strictObject({ source: z.literal('unavailable'), reason: z.string() }),
]);
export type ThrottlingReading = z.infer<typeof ThrottlingReading>;

/**
 * The thermal gate before one runner process. passed: the device was cool
 * enough (after waitedMs); the other states are "thermally ungated" and say why.
 */
export const GateRecord = z.strictObject({
  status: z.enum(['passed', 'timed-out', 'no-sensor', 'off']),
  waitedMs: z.number().nonnegative(),
  /** The reading that decided, in °C. */
  celsius: z.number().optional(),
  /** The temperature it had to reach: the ceiling, or idle + orWithinCOfIdle when higher. */
  limitC: z.number().optional(),
  /** The fixed cooldown slept before the gate, in ms. */
  cooldownMs: z.number().nonnegative().optional(),
  note: z.string(),
});
export type GateRecord = z.infer<typeof GateRecord>;

/** What sampling cost the edgebench process, measured around every sample. */
export const ProbeCost = z.strictObject({
  rateHz: z.number().nonnegative(),
  samples: z.number().int().nonnegative(),
  /** Ticks skipped because the previous sample was still reading. */
  skipped: z.number().int().nonnegative(),
  meanMs: z.number().nonnegative(),
  maxMs: z.number().nonnegative(),
});
export type ProbeCost = z.infer<typeof ProbeCost>;

export const RepeatProbes = z.strictObject({
  /** Where the probes read: "this machine", or a fixture tree's path. */
  where: z.string(),
  /** The runner's timed phase (its edges as the runner reported them). */
  timedWindowMs: z.strictObject({ start: z.number(), end: z.number() }).optional(),
  energy: EnergyReading,
  temperature: TemperatureReading,
  throttling: ThrottlingReading,
  gate: GateRecord,
  cost: ProbeCost,
});
export type RepeatProbes = z.infer<typeof RepeatProbes>;
