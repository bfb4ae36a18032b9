import type { z } from 'zod';
import type { LocalDeviceSpec } from '../../core/device-spec.ts';
import type { DevicePlacement } from '../placement.ts';

/** A child process on this machine: every core, this machine's sensors, the unit every other weight is measured in. */
export const localPlacement: DevicePlacement<z.infer<typeof LocalDeviceSpec>> = {
  hostCores: () => 'all',
  sharedHardware: () => [],
  shardWeight: () => 1,
  sensors: () => ({ on: 'host' }),
};
