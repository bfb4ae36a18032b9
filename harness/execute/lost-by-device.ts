import type { RunnerOutcome } from '../runner/spawn.ts';

/** An infrastructure failure: the browser, session, server or connection died, not the model. */
export const lostByDevice = (outcome: RunnerOutcome): boolean => outcome.deviceFailure?.code === 'DEVICE_LOST' && !outcome.canceled;
