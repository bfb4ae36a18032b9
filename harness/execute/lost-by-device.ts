import type { RunnerOutcome } from '../runner/spawn.ts';
import { PAIRED_ROUND_LOST } from '../runner/paired-round.ts';

/**
 * A process to run again, not a result: the browser, session, server or connection died, not the model; or the
 * variant's paired round ended for its partner's reason (runner/paired-round.ts), and it runs again alone.
 */
export const lostByDevice = (outcome: RunnerOutcome): boolean =>
  (outcome.deviceFailure?.code === 'DEVICE_LOST' || outcome.deviceFailure?.code === PAIRED_ROUND_LOST) && !outcome.canceled;
