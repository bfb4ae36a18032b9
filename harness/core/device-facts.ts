import { z } from 'zod';

/** What a device is, recorded with its results: numbers from different hardware never compare silently. */
export const DeviceFacts = z.strictObject({
  cpuModel: z.string(),
  /** Absent when the device does not tell (a phone or browser behind a remote grid); `source` says so. */
  logicalCores: z.number().int().nonnegative().optional(),
  physicalCores: z.number().int().nonnegative().optional(),
  memoryBytes: z.number().nonnegative().optional(),
  os: z.string(),
  kernel: z.string(),
  arch: z.string(),
  /** The board's own name for itself (/proc/device-tree/model, DMI), or "unavailable: <why>"; recorded by drivers that read it. */
  boardModel: z.string().optional(),
  /** cpufreq scaling governor (e.g. "ondemand", "performance"), or "unavailable: <why>"; it changes latency, so it is recorded. */
  cpuGovernor: z.string().optional(),
  /** Where the facts were read, e.g. "systeminformation on the host". */
  source: z.string(),
  /** For an emulated device: the constraints that make this machine look like it. */
  constraints: z.string().optional(),
});
export type DeviceFacts = z.infer<typeof DeviceFacts>;
