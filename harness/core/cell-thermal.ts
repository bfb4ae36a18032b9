import { z } from 'zod';

/** The thermal state a cell was measured in: compare refuses to compare cells whose states differ. */
export const CellThermal = z.strictObject({
  /** Where the probes read: "this machine", a recorded tree, or the device id when its files were out of reach. */
  where: z.string(),
  /** gated: every runner process started under the gate; otherwise why it was "thermally ungated". */
  gating: z.enum(['gated', 'timed-out', 'no-sensor', 'off']),
  gatingNote: z.string(),
  throttling: z.enum(['none', 'throttled', 'unknown']),
  throttlingNote: z.string(),
  /** What sampling cost this machine: per sample, over every runner process of the cell. */
  probeCost: z.strictObject({ rateHz: z.number(), samples: z.number().int(), meanMs: z.number(), maxMs: z.number() }),
});
export type CellThermal = z.infer<typeof CellThermal>;
