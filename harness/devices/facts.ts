import { z } from 'zod';

/** What a device is, recorded with its results: numbers from different hardware never compare silently. */
export const DeviceFacts = z.strictObject({
  cpuModel: z.string(),
  logicalCores: z.number().int().nonnegative(),
  physicalCores: z.number().int().nonnegative(),
  memoryBytes: z.number().nonnegative(),
  os: z.string(),
  kernel: z.string(),
  arch: z.string(),
  /** Where the facts were read, e.g. "systeminformation on the host". */
  source: z.string(),
  /** For an emulated device: the constraints that make this machine look like it. */
  constraints: z.string().optional(),
});
export type DeviceFacts = z.infer<typeof DeviceFacts>;
