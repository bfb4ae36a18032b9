import type { z } from 'zod';
import type { QemuArm64DeviceSpec } from '../../core/device-spec.ts';
import type { DevicePlacement } from '../placement.ts';

/**
 * qemu on this machine: every core, and this machine's energy and heat (the
 * emulated board has none of its own). Emulating another instruction set
 * costs the most of any kind.
 */
export const qemuArm64Placement: DevicePlacement<z.infer<typeof QemuArm64DeviceSpec>> = {
  hostCores: () => 'all',
  sharedHardware: () => [],
  shardWeight: () => 40,
  sensors: () => ({ on: 'host' }),
};
