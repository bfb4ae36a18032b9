import type { z } from 'zod';
import type { EmulatedDeviceSpec } from '../../core/device-spec.ts';
import type { DevicePlacement } from '../placement.ts';

/**
 * A cgroup on this machine: only its pinned cores, so two emulated devices on
 * disjoint cores may run side by side; a quota of a core slows a cell by its
 * inverse.
 */
export const emulatedPlacement: DevicePlacement<z.infer<typeof EmulatedDeviceSpec>> = {
  hostCores: (spec) => spec.cpus,
  sharedHardware: () => [],
  shardWeight: (spec) => 1 / Math.min(1, spec.cpuQuota ?? 1),
  sensors: () => ({ on: 'host' }),
};
