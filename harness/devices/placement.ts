import type { DeviceSpec } from '../core/device-spec.ts';
import type { SshSpec } from './ssh/connection.ts';

/**
 * The cores of this machine a device's runner computes on: all of them (a
 * child process, qemu, a local browser), the ones devices.yaml pins it to,
 * or none (it computes on its own hardware: a board, a phone, a farm).
 */
export type HostCores = 'all' | readonly number[] | 'none';

/**
 * Hardware that several devices.yaml entries may name (two entries for one
 * board, one phone, one device farm): the scheduler lets at most `capacity`
 * runner processes hold `resource` at once. Resources are named
 * `<what>:<which>` (`board:pi.local:22`, `phone:<udid>`, `endpoint:<url>`).
 */
export interface SharedHardware {
  resource: string;
  /**
   * Runner processes the hardware takes at once. Omitted when this entry sets
   * no limit (a grid with no concurrency): the resource then limits only when
   * another entry for it gives one, and otherwise is not claimed.
   */
  capacity?: number;
}

/**
 * Where the probes read a device's sensors (energy, temperatures, clock
 * frequencies): each way is opened by harness/probes/registry.ts, so a kind
 * whose sensors are reached like an existing one's only names that way.
 */
export type SensorSource =
  /** This machine's /sys and /proc (or the device's probes.root): the device computes here. */
  | { on: 'host' }
  /** A board's files, read through the SSH driver's connection. */
  | { on: 'ssh-board'; board: SshSpec }
  /** An Android phone's files and services, through `adb -s <serial> shell`. */
  | { on: 'adb-phone'; serial: string }
  /** No way to read them from here, and why (said in the results instead of readings). */
  | { on: 'none'; reason: string };

/**
 * What a device holds and offers while it runs, read from its devices.yaml
 * entry alone (nothing here touches the device): the scheduler's claims
 * (harness/schedule/claims.ts), the shard balance (harness/plan/shard.ts) and
 * the probes (harness/probes/registry.ts) all come from it. Each kind's is in
 * harness/devices/<kind>/placement.ts and carried by its driver.
 */
export interface DevicePlacement<S extends DeviceSpec = DeviceSpec> {
  /** The cores of this machine its runner computes on. */
  hostCores(spec: S): HostCores;
  /** Hardware it may share with other entries, beyond this machine's cores. */
  sharedHardware(spec: S): SharedHardware[];
  /**
   * How much slower than one local child process it runs a cell, roughly: a
   * weight that balances `--shard` jobs, not a measurement.
   */
  shardWeight(spec: S): number;
  /** Where its sensors are read. */
  sensors(spec: S): SensorSource;
}
