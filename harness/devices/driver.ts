import type { DeviceSpec } from '../core/device-spec.ts';
import type { RunnerEvent, RunnerJob } from '../core/runner-protocol.ts';
import type { RunnerOutcome } from '../runner/spawn.ts';
import type { TurnSeat } from '../runner/turn-taking.ts';
import type { DeviceFacts } from '../core/device-facts.ts';
import type { DevicePlacement } from './placement.ts';

export interface CellContext {
  timeoutMs: number;
  /** Aborted on Ctrl-C: the driver stops its runner and returns. */
  signal?: AbortSignal;
  onEvent?: (event: RunnerEvent) => void;
  /** Set for the processes of an A/B round that take turns (run --ab --turns) (runner/turn-taking.ts): handed to spawnRunner. */
  turns?: TurnSeat;
}

/** Whether a device's timings measure the hardware it stands for, or an emulator of it. */
export type DeviceLatency = 'measured' | 'emulated';

/** How edgebench reaches one kind of device. Registered in registry.ts. */
export interface DeviceDriver<S extends DeviceSpec = DeviceSpec> {
  readonly kind: S['kind'];
  /** What the device holds and offers while it runs: read by the scheduler, the shards and the probes. */
  readonly placement: DevicePlacement<S>;
  /**
   * Whether runCell honours context.turns, so the two processes of an A/B round can take turns iteration by
   * iteration (its runner is the Node.js runner over a pipe). Where not, a round's processes run one after the other.
   */
  readonly takesTurns: boolean;
  /**
   * Whether its runner can run a paired A/B round's job, both variants in one process (RunnerJob.partner,
   * runner/paired-round.ts): the Node.js runner can. Where not, every round's processes run one after the other.
   */
  readonly pairsRounds: boolean;
  /**
   * 'emulated' where the device's clock times an emulator rather than the hardware it stands for (qemu): its
   * outputs are real, its latencies are not a measurement, so adaptive repeats stop its cells after one process
   * (more processes would only narrow the interval of a figure that means nothing). 'measured' everywhere else.
   */
  readonly latency: DeviceLatency;
  /**
   * Environment variables holding the device's secrets (a farm's URL or
   * credentials): declared when the run is planned, so no runner process
   * inherits them and no output shows their values.
   */
  secretEnv?(spec: S): string[];
  /** Facts recorded with every result from this device. */
  facts(spec: S): Promise<DeviceFacts>;
  /** Why the device cannot run cells right now (missing tools, no permission), or undefined when it can. */
  unavailable?(spec: S): Promise<string | undefined>;
  /** Runs one (device, variant) cell in a fresh runner process. */
  runCell(spec: S, job: RunnerJob, context: CellContext): Promise<RunnerOutcome>;
  /** Closes what the driver keeps open across cells (an SSH master connection); called once when the run ends. */
  release?(spec: S): Promise<void>;
}
