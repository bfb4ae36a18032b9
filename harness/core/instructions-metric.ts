import { z } from 'zod';

/**
 * Instructions onnxruntime executed per inference (or per generated token),
 * counted by callgrind: deterministic, so a change of 0.1% shows in one run.
 * valgrind presents a Haswell-class CPU, so onnxruntime runs its AVX2 kernels
 * there, not necessarily the ones it picks natively; the label says so wherever
 * the number is shown.
 */
export const INSTRUCTIONS_LABEL = "measured (callgrind, Haswell-class kernels; not this CPU's kernels)";

/** Relative difference within which two instruction counts are the same (A/A spread on this machine: about 0.002%). */
export const DEFAULT_INSTRUCTIONS_TOLERANCE = 0.0005;

export const InstructionsMetric = z.discriminatedUnion('source', [
  z.strictObject({
    source: z.literal('measured').describe('Counted by callgrind in runner processes of their own (method says how).'),
    value: z
      .number()
      .nonnegative()
      .describe(
        'Instructions per inference (per generated token for generate): per example the fewest over its runs in every counting process, the median over examples.',
      ),
    unit: z.literal('count').describe('Instructions.'),
    per: z.enum(['inference', 'token']).describe('inference: per timed iteration; token: per generated token (generate).'),
    method: z.string().describe('What was counted, where, and how the per-process values were summarised.'),
    label: z.literal(INSTRUCTIONS_LABEL).describe('The caveat shown with the number: the kernels valgrind runs are not necessarily those of this CPU.'),
    perProcess: z
      .array(z.number().nonnegative())
      .describe(
        "Each counting process's value from its own runs alone (per example the fewest, median over examples), in repeat order: how far processes agree.",
      ),
    perIteration: z
      .array(z.array(z.number().nonnegative()))
      .optional()
      .describe("Every timed iteration's count (per token for generate), one array per counting process, in repeat order: what perProcess summarises."),
    warnings: z
      .array(z.string())
      .optional()
      .describe("Why the count may not describe the native path: outputs under valgrind that differ from the native run's, named."),
  }),
  z.strictObject({
    source: z.literal('unavailable').describe('No count was obtained; reason says why and how to fix it.'),
    unit: z.literal('count').describe('Instructions, had they been counted.'),
    reason: z.string().describe('Why there is no count (no valgrind, no compiler, a device kind that does not count), and the fix.'),
  }),
]);
export type InstructionsMetric = z.infer<typeof InstructionsMetric>;
