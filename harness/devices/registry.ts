import type { DeviceKind, DeviceSpec } from '../core/device-spec.ts';
import { appiumDriver } from './appium.ts';
import { browserDriver } from './browser.ts';
import type { DeviceDriver } from './driver.ts';
import { emulatedDriver } from './emulated.ts';
import { localDriver } from './local.ts';
import type { DevicePlacement } from './placement.ts';
import { qemuArm64Driver } from './qemu-arm64.ts';
import { sshDriver } from './ssh.ts';

/**
 * Every device driver, by the `kind` it serves in devices.yaml. The one table
 * a device kind is added to: each driver carries its placement, so the
 * scheduler, the shards and the probes need no entry of their own.
 */
export const drivers = {
  local: localDriver,
  emulated: emulatedDriver,
  'qemu-arm64': qemuArm64Driver,
  browser: browserDriver,
  appium: appiumDriver,
  ssh: sshDriver,
} as const satisfies { [K in DeviceKind]: DeviceDriver<Extract<DeviceSpec, { kind: K }>> };

export function driverFor<S extends DeviceSpec>(spec: S): DeviceDriver<S> {
  return drivers[spec.kind] as unknown as DeviceDriver<S>;
}

/** What the device holds and offers while it runs (harness/devices/placement.ts). */
export function placementOf<S extends DeviceSpec>(spec: S): DevicePlacement<S> {
  return driverFor(spec).placement;
}
