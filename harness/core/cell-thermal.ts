import { z } from 'zod';

/** The thermal state a cell was measured in: compare refuses to compare cells whose states differ. */
export const CellThermal = z.strictObject({
  /** Where the probes read: "this machine", a recorded tree, or the device id when its files were out of reach. */
  where: z
    .string()
    .describe(
      'Where the probes read (from the first runner process): "this machine", a board over SSH, a recorded tree, or the device id when its files were out of reach.',
    ),
  /** gated: every runner process started under the gate; otherwise why it was "thermally ungated". */
  gating: z
    .enum(['gated', 'timed-out', 'no-sensor', 'off'])
    .describe(
      'gated: every runner process started under the thermal gate; otherwise the first of timed-out (the device did not cool down in time), no-sensor, off that any process had: "thermally ungated".',
    ),
  gatingNote: z.string().describe("The gating in words: the longest wait, or the first ungated process's note and how many processes it concerns."),
  throttling: z
    .enum(['none', 'throttled', 'unknown'])
    .describe('From the cpufreq probe over the timed phases: none, throttled (at least one event), or unknown when a process could not be sampled.'),
  throttlingNote: z.string().describe('The throttling in words: events, processes and the lowest frequency ratio seen, or why it is unknown.'),
  /** What sampling cost this machine: per sample, over every runner process of the cell. */
  probeCost: z
    .strictObject({
      rateHz: z.number().describe('Sampling rate in Hz (the highest of the processes; 0 when nothing was sampled on a timer).'),
      samples: z.number().int().describe('Samples taken over all runner processes.'),
      meanMs: z.number().describe("Mean ms one sample took in the edgebench process (weighted by each process's samples)."),
      maxMs: z.number().describe('Longest sample in ms.'),
    })
    .describe('What sampling cost this machine: per sample, over every runner process of the cell (performance.now() around each sample).'),
});
export type CellThermal = z.infer<typeof CellThermal>;
