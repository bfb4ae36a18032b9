import type { z } from 'zod';
import type { AppiumDeviceSpec } from '../../core/device-spec.ts';
import type { DevicePlacement, SensorSource } from '../placement.ts';
import { serverName } from './capabilities.ts';

type Spec = z.infer<typeof AppiumDeviceSpec>;

const onThisMachine = (spec: Spec) => spec.server === 'local' && spec.platform === 'chromium';

/**
 * Only this machine's Chromium through a local server computes here; a phone
 * or a farm computes on its own hardware. Entries for one USB phone take
 * turns; entries on one remote endpoint share its concurrency.
 */
export const appiumPlacement: DevicePlacement<Spec> = {
  hostCores: (spec) => (onThisMachine(spec) ? 'all' : 'none'),

  sharedHardware(spec) {
    if (spec.server !== 'local')
      return [
        {
          resource: `endpoint:${spec.server.url ?? `$${spec.server.urlEnv}`}`,
          ...(spec.server.concurrency !== undefined ? { capacity: spec.server.concurrency } : {}),
        },
      ];
    const udid = spec.platform !== 'chromium' ? spec.capabilities['appium:udid'] : undefined;
    return typeof udid === 'string' ? [{ resource: `phone:${udid}`, capacity: 1 }] : [];
  },

  shardWeight: (spec) => 3 * spec.cpuThrottling + 4,

  sensors: sensorsOf,
};

/**
 * A local phone is read with `adb -s <udid> shell`, not through the Appium
 * session: the probes start before the cell opens its session and the thermal
 * gate reads the phone between cells, when no session exists; adb is what
 * Appium's mobile: shell runs underneath anyway. A remote farm's phone is on
 * another machine's USB: no adb reaches it from here, and farms that offer
 * mobile: shell at all offer it only inside a session.
 */
function sensorsOf(spec: Spec): SensorSource {
  if (onThisMachine(spec)) return { on: 'host' };
  if (spec.platform === 'ios')
    return { on: 'none', reason: 'an iPhone gives no shell that can read its sensors, so its energy and temperatures are not sampled' };
  if (spec.platform !== 'android') return { on: 'none', reason: `the browser runs on a machine behind ${serverName(spec)}: edgebench cannot read its sensors` };
  if (spec.server !== 'local')
    return {
      on: 'none',
      reason: `the phone is on a device farm behind ${serverName(spec)}: its USB is not this machine's, so adb cannot reach it, and farms give no shell outside a session; its sensors are not sampled`,
    };
  const udid = spec.capabilities['appium:udid'];
  if (typeof udid !== 'string')
    return {
      on: 'none',
      reason: 'its sensors are read over adb, which needs the phone\'s serial: set capabilities."appium:udid" in devices.yaml (adb devices lists it)',
    };
  return { on: 'adb-phone', serial: udid };
}
