import type { OwnRunnerEvent, RunnerEvent, RunnerJob } from '../core/runner-protocol.ts';
import type { RunnerOutcome } from './spawn.ts';

/**
 * Paired A/B rounds (run --ab --paired): after a first round whose two processes run alone, one after the other,
 * each round is one runner process holding both variants, their iterations alternated A B, B A, ... Why one
 * process: on the 2-core VM edgebench is developed for, log(p50 B / p50 A) of a model against itself had a robust
 * SD of 1.2-1.3% with the two sessions alternated in one process (with 1 or 2 onnxruntime threads), 4.1% with A's
 * iterations all before B's in that process, 4-6% for two processes one after the other, and 2-4% (one thread,
 * both pinned to one core) to 9-12% (two threads) for two processes taking turns iteration by iteration
 * (`npm run bench:gate -- --in-process`, and the same rounds through the real runner). What the alternation
 * cancels is the machine drifting over seconds; what two processes add back is where each lands (a core, its
 * neighbour's load), for a whole round.
 *
 * What a shared process cannot give is each variant's own peak memory, start-up or cold load: those come from the
 * rounds that ran alone (the first), and a paired process's memory readings are left out (its load time is kept
 * in the journal, marked, and left out of the cell's load figure: the second model loads into a warm runtime).
 */

/** The paired round's job: the host variant's own, with the partner's model, task, runtime options and examples. */
export function pairedJob(host: RunnerJob, partner: RunnerJob): RunnerJob {
  return {
    ...host,
    partner: { modelPath: partner.modelPath, task: partner.task, runtime: partner.runtime, examples: partner.examples },
  };
}

/**
 * Which variant a paired process's event belongs to, as its cell records it: wrapped events are the partner's,
 * others the host's; `done` ends both; the process's peak memory (both models) is neither's, nor are the resident
 * set readings around each load (the second load's baseline holds the first model).
 */
export function pairedEventSides(event: RunnerEvent): { host?: OwnRunnerEvent; partner?: OwnRunnerEvent } {
  if (event.type === 'partner') return { partner: ownPart(event.event) };
  if (event.type === 'done') return { host: event, partner: event };
  if (event.type === 'memory') return {};
  return { host: ownPart(event) };
}

function ownPart(event: OwnRunnerEvent): OwnRunnerEvent | undefined {
  if (event.type === 'memory') return undefined;
  if (event.type === 'loaded') return { type: 'loaded', loadMs: event.loadMs };
  return event;
}

/** The code of a variant's process lost to its partner (or to the device, for both): it is run again alone. */
export const PAIRED_ROUND_LOST = 'PAIRED_ROUND_LOST';

/**
 * A paired process's outcome as two: each variant's events, the process's end (exit code, signal, time-out, stderr)
 * shared. A variant whose process ended before it finished, for a reason not its own (its partner failed, the
 * device lost the process or killed it for memory, the time-out both shared), is marked lost to the round, so it
 * is run again alone; Ctrl-C stays an interruption.
 */
export function splitPairedOutcome(outcome: RunnerOutcome, names: { host: string; partner: string }): { host: RunnerOutcome; partner: RunnerOutcome } {
  const host: OwnRunnerEvent[] = [];
  const partner: OwnRunnerEvent[] = [];
  for (const event of outcome.events) {
    const sides = pairedEventSides(event);
    if (sides.host) host.push(sides.host);
    if (sides.partner) partner.push(sides.partner);
  }
  const { devicePeakMemory: _bothModels, ...shared } = outcome;
  const side = (events: OwnRunnerEvent[], name: string, other: string): RunnerOutcome => {
    const finished = events.some((e) => e.type === 'done');
    const failedItself = events.some((e) => e.type === 'error');
    const base: RunnerOutcome = { ...shared, events, pairedWith: other };
    if (finished || failedItself || outcome.canceled) return base;
    const otherFailed = (name === names.host ? partner : host).find((e): e is Extract<OwnRunnerEvent, { type: 'error' }> => e.type === 'error');
    const why = otherFailed
      ? `${other} failed in it (${otherFailed.code}: ${otherFailed.message})`
      : outcome.timedOut
        ? 'the two variants together ran past the time-out'
        : (outcome.deviceFailure?.message ?? `the process ended (${outcome.signal ? `signal ${outcome.signal}` : `exit code ${outcome.exitCode}`})`);
    return {
      ...base,
      timedOut: false,
      deviceFailure: {
        code: PAIRED_ROUND_LOST,
        message: `the paired round's process, shared with ${other}, ended before ${name} finished: ${why}. ${name} is run again alone`,
      },
    };
  };
  return { host: side(host, names.host, names.partner), partner: side(partner, names.partner, names.host) };
}
