import { availableParallelism } from 'node:os';
import type { DeviceSpec } from '../core/device-spec.ts';
import { DEFAULT_SCHEDULING, type Scheduling } from '../core/scheduling.ts';
import type { SchedulingRecord } from '../core/results.ts';
import { placementOf } from '../devices/registry.ts';

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
 * Which cores and which shared hardware a device holds is its kind's
 * placement (harness/devices/<kind>/placement.ts); this file knows no kind.
 */
export interface DeviceClaims {
  deviceId: string;
  resources: string[];
}

/** This machine's cores a device's runner computes on, as `core:<n>` claims need them; none for a device that computes elsewhere. */
function hostCoresOf(device: DeviceSpec, coreCount: number): readonly number[] {
  const cores = placementOf(device).hostCores(device);
  if (cores === 'none') return [];
  return cores === 'all' ? Array.from({ length: coreCount }, (_, core) => core) : cores;
}

export function claimsOf(
  devices: readonly DeviceSpec[],
  scheduling: Scheduling = DEFAULT_SCHEDULING,
  coreCount = availableParallelism(),
): { claims: Map<string, DeviceClaims>; capacity: (resource: string) => number; record: Pick<SchedulingRecord, 'policy' | 'note' | 'shared'> } {
  // A resource's capacity is the least any entry gives it; one no entry limits is not claimed at all.
  const limits = new Map<string, number>();
  const hardware = new Map(devices.map((device) => [device.id, placementOf(device).sharedHardware(device)]));
  for (const { resource, capacity } of [...hardware.values()].flat())
    if (capacity !== undefined) limits.set(resource, Math.min(capacity, limits.get(resource) ?? Infinity));
  const claims = new Map<string, DeviceClaims>();
  for (const device of devices) {
    const resources = [`device:${device.id}`];
    if (!scheduling.parallel) resources.push('run');
    const cores = hostCoresOf(device, coreCount);
    if (cores.length > 0) resources.push(...(scheduling.hostDevices === 'exclusive' ? ['host'] : cores.map((core) => `core:${core}`)));
    for (const { resource } of hardware.get(device.id)!) if (limits.has(resource) && !resources.includes(resource)) resources.push(resource);
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
    'disjoint-cores':
      "devices run side by side, one runner process each; devices that compute on this machine's cores run together only when their pinned cores are disjoint (they still share caches and memory bandwidth)",
  }[policy];
  return { claims, capacity, record: { policy, note, shared } };
}
