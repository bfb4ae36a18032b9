import { z } from 'zod';

/** Why a device's A/B rounds stopped. */
export const SequentialStop = z.enum(['regressed', 'decided', 'max-rounds', 'not-finished']);
export type SequentialStop = z.infer<typeof SequentialStop>;

/** How sequential stopping of interleaved A/B rounds was set up, and what each device's rounds did. */
export const SequentialRecord = z
  .strictObject({
    method: z.string().describe('The anytime-valid test, with its reference.'),
    tier: z
      .enum(['quick', 'standard', 'rigorous'])
      .optional()
      .describe('The gate tier: quick (at most 20 rounds), standard (60) or rigorous (200, a 1% threshold).'),
    minRounds: z.number().int().positive().describe('Rounds before any decision is taken.'),
    maxRounds: z.number().int().positive().describe('Rounds at most (the run ab.rounds).'),
    threshold: z.number().positive().describe('Smallest relative change called regressed or improved.'),
    alpha: z.number().gt(0).lt(1).describe('Family-wise false-alarm rate of the regressed and improved verdicts.'),
    futility: z.number().gt(0).lt(1).describe('Error rate of "no change beyond the threshold": the level of the confidence sequence that stops for it.'),
    metrics: z.array(z.string()).describe('The metrics whose verdicts decide when to stop.'),
    devices: z
      .array(
        z.strictObject({
          deviceId: z.string().describe('The device these rounds ran on.'),
          rounds: z.number().int().nonnegative().describe('Rounds run on this device.'),
          stopped: SequentialStop.describe(
            'regressed: a gated metric regressed; decided: every gated metric reached a verdict; max-rounds: the rounds ran out; not-finished: the run ended first.',
          ),
          reason: z.string().describe('Why it stopped, in words.'),
          resolves: z
            .number()
            .positive()
            .optional()
            .describe(
              'The smallest relative change of the first stopping metric (latency.p50) these rounds could tell from no change: the half-width of the confidence sequence at the level a regressed verdict needs, on the rounds centred on their median, and at least the threshold (compare/resolvable-change.ts). Set from the decision round on.',
            ),
        }),
      )
      .describe('Per device: rounds run and why they stopped.'),
  })
  .describe('Set by sequential A/B runs: rounds stop once an anytime-valid test decides.');
export type SequentialRecord = z.infer<typeof SequentialRecord>;
