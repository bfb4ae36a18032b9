import type { DevicePlacement } from '../placement.ts';
import type { SshSpec } from './connection.ts';

/**
 * A board computes on its own cores (its `cpus` are the board's, not this
 * machine's). Two entries for one board (its big and its little cores) are
 * one machine: they take turns.
 */
export const sshPlacement: DevicePlacement<SshSpec> = {
  hostCores: () => 'none',
  sharedHardware: (spec) => [{ resource: `board:${spec.host}:${spec.port ?? 22}`, capacity: 1 }],
  shardWeight: () => 3,
  sensors: (spec) => ({ on: 'ssh-board', board: spec }),
};
