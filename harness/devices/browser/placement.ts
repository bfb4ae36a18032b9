import type { z } from 'zod';
import type { BrowserDeviceSpec } from '../../core/device-spec.ts';
import type { DevicePlacement } from '../placement.ts';

/** Chromium on this machine: every core; WebAssembly and the browser's start cost about three local processes, times the throttling. */
export const browserPlacement: DevicePlacement<z.infer<typeof BrowserDeviceSpec>> = {
  hostCores: () => 'all',
  sharedHardware: () => [],
  shardWeight: (spec) => 3 * spec.cpuThrottling + 3,
  sensors: () => ({ on: 'host' }),
};
