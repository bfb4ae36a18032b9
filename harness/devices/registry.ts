import type { DeviceKind, DeviceSpec } from '../config/device-spec.ts';
import type { DeviceDriver } from './driver.ts';
import { localDriver } from './local.ts';

/** Every device driver, by the `kind` it serves in devices.yaml. */
export const drivers = {
  local: localDriver,
} as const satisfies { [K in DeviceKind]: DeviceDriver<Extract<DeviceSpec, { kind: K }>> };

export function driverFor<S extends DeviceSpec>(spec: S): DeviceDriver<S> {
  return drivers[spec.kind] as unknown as DeviceDriver<S>;
}
