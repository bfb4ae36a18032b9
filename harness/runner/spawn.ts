import { execa } from 'execa';
import { runnerEnvironment } from '../secrets/secret-env.ts';
import { RunnerEvent, RunnerJob } from '../core/runner-protocol.ts';
import { TURN_DONE_LINE, TURN_GO, type TurnSeat } from './turn-taking.ts';

export interface RunnerCommand {
  file: string;
  args: string[];
  env?: Record<string, string>;
}

export interface RunnerOutcome {
  events: RunnerEvent[];
  exitCode: number | undefined;
  signal: string | undefined;
  timedOut: boolean;
  canceled: boolean;
  /** The end of the runner's stderr, for error messages. */
  stderrTail: string;
  /** stdout lines that were not protocol events (a runner bug or a noisy wrapper). */
  strayLines: string[];
  /** Set by a device driver when the device, not the runner, ended the cell (OOM under a cap, a device that could not be set up). */
  deviceFailure?: { code: string; message: string };
  /** Peak memory as the device itself counts it (e.g. the cell's cgroup), beside the runner's own VmHWM. */
  devicePeakMemory?: { bytes: number; method: string };
  /** The constraints the device ran the cell under, in words (an emulated profile). */
  constraints?: string;
  /** Why the device cannot report the model's memory (a browser on another machine); the results say so instead of a number. */
  memoryUnavailable?: string;
  /** Set for one variant's part of a paired round's process (runner/paired-round.ts): the variant it shared the process with. */
  pairedWith?: string;
}

/**
 * Starts a runner command (argument array, never a shell string) in an
 * environment without secrets (runnerEnvironment), sends it the
 * job on stdin and streams its events back as they arrive. Never throws for a
 * runner failure: the outcome says how it ended, and the caller records it.
 */
export async function spawnRunner(
  command: RunnerCommand,
  job: RunnerJob,
  options: { timeoutMs: number; signal?: AbortSignal; onEvent?: (event: RunnerEvent) => void; turns?: TurnSeat },
): Promise<RunnerOutcome> {
  const { turns } = options;
  // The runner trusts its job (it carries no schema library), so the job is checked here, before it leaves.
  const checked = RunnerJob.safeParse(job);
  if (!checked.success)
    return {
      events: [{ type: 'error', code: 'JOB_INVALID', message: `the runner job does not match the protocol: ${checked.error.message}` }],
      exitCode: undefined,
      signal: undefined,
      timedOut: false,
      canceled: false,
      stderrTail: '',
      strayLines: [],
    };
  const line = JSON.stringify({ ...checked.data, ...(turns ? { turns: true } : {}) });
  const subprocess = execa(command.file, command.args, {
    // Taking turns, stdin stays open for the turn lines after the job's.
    ...(turns ? {} : { input: line }),
    // Not edgebench's whole environment: a runner gets none of the secrets (baseline key, device cloud credentials).
    env: runnerEnvironment(command.env),
    extendEnv: false,
    timeout: options.timeoutMs,
    cancelSignal: options.signal,
    forceKillAfterDelay: 2000,
    reject: false,
    buffer: { stdout: false, stderr: true },
    stripFinalNewline: true,
  });
  if (turns) {
    const stdin = subprocess.stdin!;
    // A runner that has died cannot read its turn: the write error is the process's, and its outcome says how it ended.
    stdin.on('error', () => undefined);
    stdin.write(`${line}\n`);
    turns.join(
      () => stdin.write(`${TURN_GO}\n`),
      () => stdin.end(),
    );
  }
  const events: RunnerEvent[] = [];
  const strayLines: string[] = [];
  try {
    for await (const out of subprocess.iterable({ from: 'stdout' })) {
      if (out === TURN_DONE_LINE) {
        turns?.passed();
        continue;
      }
      const event = parseEvent(out);
      if (!event) {
        if (out.trim()) strayLines.push(out.slice(0, 500));
        continue;
      }
      events.push(event);
      options.onEvent?.(event);
    }
  } finally {
    turns?.leave();
  }
  const result = await subprocess;
  return {
    events,
    exitCode: result.exitCode,
    signal: result.signal,
    timedOut: result.timedOut,
    canceled: result.isCanceled,
    stderrTail: String(result.stderr ?? '').slice(-4000),
    strayLines,
  };
}

function parseEvent(line: string): RunnerEvent | undefined {
  try {
    const parsed = RunnerEvent.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The outcome of a cell whose device could not run it at all: no runner was started. */
export function unavailableOutcome(message: string): RunnerOutcome {
  return notRunOutcome('DEVICE_UNAVAILABLE', message);
}

/** The outcome of a cell that was not started, and why (the device is unavailable, the model changed on disk). */
export function notRunOutcome(code: string, message: string): RunnerOutcome {
  return {
    events: [],
    exitCode: undefined,
    signal: undefined,
    timedOut: false,
    canceled: false,
    stderrTail: '',
    strayLines: [],
    deviceFailure: { code, message },
  };
}
