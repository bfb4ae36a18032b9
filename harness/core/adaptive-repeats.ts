import { z } from 'zod';

/**
 * When a plain run stops adding runner processes to a cell: once the between-process 95% CI of its p50
 * is as narrow as the target precision, after a minimum, and never beyond the suite's repeats.
 */
export const AdaptiveRepeatsOptions = z
  .strictObject({
    enabled: z.boolean().default(true).describe('false: every cell runs all its repeats.'),
    minRepeats: z
      .number()
      .int()
      .min(2)
      .max(1000)
      .default(3)
      .describe('Runner processes every cell runs before it may stop (compare needs at least 3 per side to test between processes).'),
    precision: z
      .number()
      .positive()
      .max(1)
      .optional()
      .describe(
        "Target relative half-width of the 95% CI of the cell's p50 latency between runner processes, e.g. 0.03 for ±3%; default: the suite's compare threshold.",
      ),
  })
  .describe(
    'Adaptive repeats for plain runs (not run --ab): a cell stops adding runner processes once the between-process 95% CI of its p50 latency is within the target precision, after minRepeats, never beyond repeats.',
  );
export type AdaptiveRepeatsOptions = z.infer<typeof AdaptiveRepeatsOptions>;

export const RepeatStopReason = z.enum(['precise', 'emulated', 'repeats', 'failed', 'unfinished']);
export type RepeatStopReason = z.infer<typeof RepeatStopReason>;

/** How many runner processes a cell needed, and why it stopped adding them. */
export const RepeatStop = z
  .strictObject({
    processes: z.number().int().nonnegative().describe('Runner processes the cell ran.'),
    reason: RepeatStopReason.describe(
      "precise: the p50's between-process 95% CI reached the target precision (after minRepeats); emulated: one process, on a device whose latencies are an emulator's (qemu), not a measurement, so more processes would refine nothing; repeats: the cell ran every repeat (precision not reached, or adaptive repeats off, or run --ab); failed: a process failed, and a failure is not run again; unfinished: the run ended first (interrupted).",
    ),
    p50Ci95RelativeHalfWidth: z
      .number()
      .nonnegative()
      .optional()
      .describe(
        'Half-width of the 95% Student t CI of the mean of the per-process p50 latencies, over that mean, after the last process; absent with fewer than 2 measured processes.',
      ),
    targetPrecision: z.number().positive().optional().describe('The relative half-width the cell aimed for; absent when adaptive repeats were off.'),
    minRepeats: z
      .number()
      .int()
      .positive()
      .describe('Processes every cell ran before it could stop for precision (a cell on an emulated device stops after one).'),
    maxRepeats: z.number().int().positive().describe("The suite's repeats (or --repeats): the most a cell may run."),
  })
  .describe('How many runner processes the cell needed and why it stopped adding them (adaptive repeats).');
export type RepeatStop = z.infer<typeof RepeatStop>;
