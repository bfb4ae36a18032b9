import { z } from 'zod';

/** What a device is, recorded with its results: numbers from different hardware never compare silently. */
export const DeviceFacts = z.strictObject({
  cpuModel: z
    .string()
    .describe("The CPU's model name as the device reports it (systeminformation, /proc/cpuinfo, the phone's or browser's report), or \"unknown\"."),
  /** Absent when the device does not tell (a phone or browser behind a remote grid); `source` says so. */
  logicalCores: z.number().int().nonnegative().optional().describe('Logical CPUs (hardware threads) the device has; absent when the device does not tell.'),
  physicalCores: z.number().int().nonnegative().optional().describe('Physical CPU cores; absent when the device does not tell.'),
  memoryBytes: z
    .number()
    .nonnegative()
    .optional()
    .describe('Total memory in bytes (for an emulated device: its memory cap); absent when the device does not tell.'),
  os: z.string().describe('Operating system name and release.'),
  kernel: z.string().describe('Kernel version (uname -r, or what the device reports).'),
  arch: z.string().describe('CPU architecture, e.g. x64 or arm64.'),
  /** The board's own name for itself (/proc/device-tree/model, DMI), or "unavailable: <why>"; recorded by drivers that read it. */
  boardModel: z
    .string()
    .optional()
    .describe('The board\'s own name for itself (/proc/device-tree/model, DMI), or "unavailable: <why>"; recorded by drivers that read it.'),
  /** cpufreq scaling governor (e.g. "ondemand", "performance"), or "unavailable: <why>"; it changes latency, so it is recorded. */
  cpuGovernor: z
    .string()
    .optional()
    .describe('cpufreq scaling governor (e.g. "ondemand", "performance"), or "unavailable: <why>"; it changes latency, so it is recorded.'),
  /** Where the facts were read, e.g. "systeminformation on the host". */
  source: z.string().describe('Where the facts were read, e.g. "systeminformation on the host".'),
  /** For an emulated device: the constraints that make this machine look like it. */
  constraints: z.string().optional().describe('For an emulated device: the constraints that make this machine look like it.'),
});
export type DeviceFacts = z.infer<typeof DeviceFacts>;
