import type { DeviceSpec } from '../core/device-spec.ts';
import type { RunnerEvent, RunnerJob } from '../core/runner-protocol.ts';
import type { RunnerOutcome } from '../runner/spawn.ts';
import type { DeviceFacts } from '../core/device-facts.ts';

export interface CellContext {
  timeoutMs: number;
  /** Aborted on Ctrl-C: the driver stops its runner and returns. */
  signal?: AbortSignal;
  onEvent?: (event: RunnerEvent) => void;
}

/** How edgebench reaches one kind of device. Registered in registry.ts. */
export interface DeviceDriver<S extends DeviceSpec = DeviceSpec> {
  readonly kind: S['kind'];
  /** Facts recorded with every result from this device. */
  facts(spec: S): Promise<DeviceFacts>;
  /** Why the device cannot run cells right now (missing tools, no permission), or undefined when it can. */
  unavailable?(spec: S): Promise<string | undefined>;
  /** Runs one (device, variant) cell in a fresh runner process. */
  runCell(spec: S, job: RunnerJob, context: CellContext): Promise<RunnerOutcome>;
  /** Closes what the driver keeps open across cells (an SSH master connection); called once when the run ends. */
  release?(spec: S): Promise<void>;
}
