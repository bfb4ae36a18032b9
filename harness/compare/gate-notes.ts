import type { Results } from '../core/results.ts';
import type { SequentialTier } from './sequential-verdict.ts';
import { pct } from './verdict.ts';

const TIERS: Record<SequentialTier, string> = {
  quick: 'Quick tier (--quick): at most 20 rounds, for an answer in minutes. ',
  standard: '',
  rigorous: 'Rigorous tier (--rigorous): a 1% threshold and up to 200 rounds, for changes of about 2%. ',
};

/**
 * How the gate measured, in words, and what that costs in trust: a reader of the
 * verdict should know whether drift of the machine could have made or hidden it.
 */
export function gateNotes(candidate: Results, baseline: Results | undefined): string[] {
  const ab = candidate.ab;
  if (baseline)
    return [
      `Stored baseline: run ${baseline.runId} (started ${baseline.startedAt}) against run ${candidate.runId} (started ${candidate.startedAt}). ` +
        'The machine may have drifted between the two runs (10% between minutes was measured on a shared 2-core VM) and nothing here cancels it: ' +
        'a change smaller than that drift can be missed or invented. Interleaved A/B (both models in one job) is the dependable gate.',
    ];
  if (!ab) return [];
  const notes = [
    `Interleaved A/B: ${ab.b} against ${ab.a} on the same device${candidate.devices.length > 1 ? 's' : ''}, alternating in rounds, so drift of the machine hits both alike.`,
  ];
  if (ab.pairedOn?.length)
    notes.push(
      `Paired rounds on ${ab.pairedOn.join(', ')}: after a first round of a runner process per variant (their memory and load time), each round ran both in one process, iterations alternated, and only those rounds are compared.`,
    );
  const sequential = ab.sequential;
  if (sequential) {
    notes.push(
      `${sequential.tier ? TIERS[sequential.tier] : ''}Sequential stopping (at most ${sequential.maxRounds} rounds, threshold ${pct(sequential.threshold)}, alpha ${sequential.alpha}): ${sequential.method}. ` +
        `Guaranteed: a regressed verdict without a real change in at most ${pct(sequential.alpha)} of gates, at whichever round it stopped. ` +
        'Not guaranteed: that a change smaller than the one each device could resolve (below) is caught.',
    );
    for (const device of sequential.devices)
      notes.push(
        `${device.deviceId}: ${device.rounds} round(s), stopped (${device.stopped}): ${device.reason}.` +
          (device.resolves !== undefined
            ? ` Its rounds could tell a change of ${pct(device.resolves)} or more in the median from none.`
            : device.stopped !== 'not-finished'
              ? ' Its rounds were too few or too spread to bound a change at the level a regressed verdict needs: a smaller change than it could see may have passed.'
              : ''),
      );
  } else notes.push(`Fixed length: ${ab.rounds} rounds; the Wilcoxon signed-rank test over the paired rounds.`);
  return notes;
}
