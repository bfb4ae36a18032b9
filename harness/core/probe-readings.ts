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
    source: z.literal('measured').describe('Read from an energy counter or power meter beside the runner.'),
    probe: z.string().describe('The energy probe: rapl, battery or external-meter.'),
    /** Energy over the runner's timed phase. */
    joules: z.number().nonnegative().describe("Energy over the runner's timed phase, in J: the trace's rise between the phase's edges."),
    method: z.string().describe('The counter or meter read, and what it covers (the CPU package, the whole device).'),
    /** Cumulative energy since the probe started, in J. */
    trace: Trace.describe('Cumulative energy in J since the probe started, as [ms since the runner started, J] pairs.'),
  }),
  z.strictObject({
    source: z.literal('estimated').describe("No energy counter: computed from the runner's CPU time and a power model."),
    probe: z.string().describe('The estimating probe: cpu-time-estimate.'),
    joules: z.number().nonnegative().describe('Estimated energy over the timed phase, in J.'),
    from: z.string().describe('The power model: watts per busy core-second and idle watts, and what they were applied to.'),
  }),
  z.strictObject({
    source: z.literal('unavailable').describe('No energy reading or estimate.'),
    reason: z.string().describe('Why, e.g. no RAPL counter readable and no power model for the device.'),
  }),
]);
export type EnergyReading = z.infer<typeof EnergyReading>;

export const TemperatureReading = z.discriminatedUnion('source', [
  z.strictObject({
    source: z.literal('measured').describe('Sampled from a thermal sensor beside the runner.'),
    probe: z.string().describe('The temperature probe, e.g. thermal-zones, hwmon or android-thermal.'),
    /** Which sensor(s) the values are, e.g. "x86_pkg_temp (thermal_zone1)". */
    sensor: z.string().describe('Which sensor(s) the values are, e.g. "x86_pkg_temp (thermal_zone1)"; the hottest when there are several.'),
    method: z.string().describe('Where the sensor was read (sysfs file, phone service) and how it was chosen.'),
    /** °C. */
    trace: Trace.describe('Temperature in °C as [ms since the runner started, °C] pairs.'),
  }),
  z.strictObject({
    source: z.literal('unavailable').describe('No temperature was read.'),
    reason: z.string().describe('Why, e.g. no thermal sensor on the device.'),
  }),
]);
export type TemperatureReading = z.infer<typeof TemperatureReading>;

/** A stretch of samples in which a busy core ran well below its maximum frequency. */
export const ThrottleEvent = z.strictObject({
  cpu: z.number().int().nonnegative().describe('The CPU (core index) that ran throttled.'),
  startMs: z.number().describe('Start of the stretch, in ms since the runner started.'),
  endMs: z.number().describe('End of the stretch, in ms since the runner started.'),
  /** Lowest current / maximum frequency seen in the stretch. */
  lowestRatio: z.number().describe('Lowest current / maximum frequency seen in the stretch (scaling_cur_freq / cpuinfo_max_freq).'),
});
export type ThrottleEvent = z.infer<typeof ThrottleEvent>;

export const ThrottlingReading = z.discriminatedUnion('source', [
  z.strictObject({
    source: z.literal('measured').describe('CPU frequencies were sampled beside the runner.'),
    probe: z.string().describe('The throttling probe: cpufreq.'),
    governor: z.string().optional().describe('The cpufreq scaling governor of the first sampled core, when readable.'),
    method: z.string().describe('What was read and the rule: a busy core below 85% of its maximum frequency for two or more consecutive samples is throttled.'),
    samples: z.number().int().nonnegative().describe('Frequency samples in the timed phase (the whole process when the phase was shorter than two samples).'),
    events: z.array(ThrottleEvent).describe('Each stretch in which a busy core ran throttled.'),
  }),
  z.strictObject({
    source: z.literal('unavailable').describe('Frequencies were not sampled.'),
    reason: z.string().describe('Why, e.g. no cpufreq files on the device.'),
  }),
]);
export type ThrottlingReading = z.infer<typeof ThrottlingReading>;

/**
 * The thermal gate before one runner process. passed: the device was cool
 * enough (after waitedMs); the other states are "thermally ungated" and say why.
 */
export const GateRecord = z.strictObject({
  status: z
    .enum(['passed', 'timed-out', 'no-sensor', 'off'])
    .describe(
      'passed: the device was cool enough; timed-out: it was still too hot when the wait ran out; no-sensor: no temperature to wait on; off: the gate is off in the suite.',
    ),
  waitedMs: z.number().nonnegative().describe('How long the gate waited for the device to cool, in ms (performance.now()); 0 when it was off.'),
  /** The reading that decided, in °C. */
  celsius: z.number().optional().describe('The reading that decided, in °C.'),
  /** The temperature it had to reach: the ceiling, or idle + orWithinCOfIdle when higher. */
  limitC: z.number().optional().describe('The temperature it had to reach in °C: the ceiling, or idle + orWithinCOfIdle when higher.'),
  /** The fixed cooldown slept before the gate, in ms. */
  cooldownMs: z.number().nonnegative().optional().describe('The fixed cooldown slept before the gate, in ms; absent when there was none.'),
  note: z.string().describe("The gate's outcome in words: the sensor, its reading and the limit, or why the process is thermally ungated."),
});
export type GateRecord = z.infer<typeof GateRecord>;

/** What sampling cost the edgebench process, measured around every sample. */
export const ProbeCost = z.strictObject({
  rateHz: z.number().nonnegative().describe('Sampling rate in Hz; 0 when no probe sampled on a timer.'),
  samples: z.number().int().nonnegative().describe('Samples taken during the process.'),
  /** Ticks skipped because the previous sample was still reading. */
  skipped: z.number().int().nonnegative().describe('Ticks skipped because the previous sample was still reading.'),
  meanMs: z.number().nonnegative().describe('Mean ms one sample took in the edgebench process (performance.now() around it); 0 without samples.'),
  maxMs: z.number().nonnegative().describe('Longest sample in ms; 0 without samples.'),
});
export type ProbeCost = z.infer<typeof ProbeCost>;

export const RepeatProbes = z.strictObject({
  /** Where the probes read: "this machine", or a fixture tree's path. */
  where: z
    .string()
    .describe('Where the probes read: "this machine", a board over SSH, a fixture tree\'s path, or the device id when its files were out of reach.'),
  /** The runner's timed phase (its edges as the runner reported them). */
  timedWindowMs: z
    .strictObject({
      start: z.number().describe('Start of the timed phase, ms since the runner started.'),
      end: z.number().describe('End of the timed phase, ms since the runner started.'),
    })
    .optional()
    .describe(
      "The runner's timed phase in ms since the runner started, its edges as the runner reported them; absent when it reported none (the browser page runner, or a runner that failed first).",
    ),
  energy: EnergyReading.describe('Energy over the timed phase: measured, estimated or unavailable.'),
  temperature: TemperatureReading.describe('Temperature sampled through the process.'),
  throttling: ThrottlingReading.describe('CPU frequency throttling sampled through the process.'),
  gate: GateRecord.describe('The thermal gate before the process.'),
  cost: ProbeCost.describe('What sampling cost the edgebench process.'),
});
export type RepeatProbes = z.infer<typeof RepeatProbes>;
