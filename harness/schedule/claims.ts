import { availableParallelism } from 'node:os';
import type { DeviceSpec } from '../core/device-spec.ts';
import { DEFAULT_SCHEDULING, type Scheduling } from '../core/scheduling.ts';
import type { SchedulingRecord } from '../core/results.ts';

/**
 * What a device holds while one of its runner processes runs. The scheduler
 * starts a process only when every resource it claims has room:
 *  - `device:<id>`, room for one: one process per device, always;
 *  - `host` (exclusive) or `core:<n>` (disjoint-cores), room for one: the
 *    cores of this machine the runner computes on;
 *  - `endpoint:<url>`, room for the endpoint's concurrency: a remote grid's
 *    or device farm's parallel sessions;
 *  - `board:<host>:<port>` or `phone:<udid>`, room for one: devices.yaml
 *    entries that are the same SSH board or USB phone take turns;
 *  - `run`, room for one, claimed by every device when scheduling.parallel is false.
 */
export interface DeviceClaims {
  deviceId: string;
  resources: string[];
}

/** Where a device's runner computes: this machine's cores (which ones), or elsewhere. */
export function hostCoresOf(device: DeviceSpec, coreCount = availableParallelism()): number[] | undefined {
  const all = () => Array.from({ length: coreCount }, (_, core) => core);
  switch (device.kind) {
    case 'emulated':
      return device.cpus;
    case 'local':
    case 'qemu-arm64':
    case 'browser':
      return all();
    case 'appium':
      // Only the Chromium of this machine runs here; a phone or a farm computes on its own hardware.
      return device.server === 'local' && device.platform === 'chromium' ? all() : undefined;
    case 'ssh':
      return undefined;
  }
}

/** The remote endpoint a device's sessions count against, and its limit, when devices.yaml gives one. */
function endpointOf(device: DeviceSpec): string | undefined {
  if (device.kind !== 'appium' || device.server === 'local') return undefined;
  return device.server.url ?? `$${device.server.urlEnv}`;
}

/**
 * The remote machine a device computes on, when devices.yaml can name it: two
 * entries for one board (its big and its little cores) or for one phone are
 * one device to the scheduler.
 */
function remoteHardwareOf(device: DeviceSpec): string | undefined {
  if (device.kind === 'ssh') return `board:${device.host}:${device.port ?? 22}`;
  const udid = device.kind === 'appium' && device.server === 'local' && device.platform !== 'chromium' ? device.capabilities['appium:udid'] : undefined;
  return typeof udid === 'string' ? `phone:${udid}` : undefined;
}

export function claimsOf(devices: readonly DeviceSpec[], scheduling: Scheduling = DEFAULT_SCHEDULING, coreCount = availableParallelism()): { claims: Map<string, DeviceClaims>; capacity: (resource: string) => number; record: Pick<SchedulingRecord, 'policy' | 'note' | 'shared'> } {
  const limits = new Map<string, number>();
  for (const device of devices) {
    const endpoint = endpointOf(device);
    if (endpoint && device.kind === 'appium' && device.server !== 'local' && device.server.concurrency !== undefined) limits.set(`endpoint:${endpoint}`, device.server.concurrency);
  }
  const claims = new Map<string, DeviceClaims>();
  for (const device of devices) {
    const resources = [`device:${device.id}`];
    if (!scheduling.parallel) resources.push('run');
    const cores = hostCoresOf(device, coreCount);
    if (cores) resources.push(...(scheduling.hostDevices === 'exclusive' ? ['host'] : cores.map((core) => `core:${core}`)));
    const endpoint = endpointOf(device);
    if (endpoint && limits.has(`endpoint:${endpoint}`)) resources.push(`endpoint:${endpoint}`);
    const hardware = remoteHardwareOf(device);
    if (hardware) resources.push(hardware);
    claims.set(device.id, { deviceId: device.id, resources });
  }
  const capacity = (resource: string) => limits.get(resource) ?? 1;

  const holders = new Map<string, string[]>();
  for (const { deviceId, resources } of claims.values()) for (const resource of resources) holders.set(resource, [...(holders.get(resource) ?? []), deviceId]);
  const shared = [...holders].filter(([, ids]) => ids.length > 1).map(([resource, ids]) => ({ resource, devices: ids, capacity: capacity(resource) }));
  const policy = scheduling.parallel ? scheduling.hostDevices : 'serial';
  const note = {
    serial: 'one runner process at a time across all devices (scheduling.parallel is false)',
    exclusive: "devices run side by side, one runner process each; devices that compute on this machine's cores run one at a time",
    'disjoint-cores': "devices run side by side, one runner process each; devices that compute on this machine's cores run together only when their pinned cores are disjoint (they still share caches and memory bandwidth)",
  }[policy];
  return { claims, capacity, record: { policy, note, shared } };
}
