import { describe, expect, it } from 'vitest';
import { DeviceSpec, IMPLEMENTED_DEVICE_KINDS, type DeviceKind } from '../../harness/core/device-spec.ts';
import { drivers, placementOf } from '../../harness/devices/registry.ts';
import { deviceCost } from '../../harness/plan/shard.ts';
import type { RunPlan } from '../../harness/plan/plan.ts';
import { claimsOf } from '../../harness/schedule/claims.ts';
import { runScheduled } from '../../harness/schedule/scheduler.ts';

const device = (spec: Record<string, unknown>) => DeviceSpec.parse(spec);

/** The least devices.yaml entry of each kind: a new kind fails to compile here until it has one. */
const LEAST = {
  local: {},
  emulated: { cpus: [1] },
  'qemu-arm64': {},
  browser: {},
  appium: {},
  ssh: { host: 'pi.local' },
} satisfies Record<DeviceKind, Record<string, unknown>>;

describe('every device kind has a placement', () => {
  it.each(IMPLEMENTED_DEVICE_KINDS)('%s: its driver carries one, and it answers for the least entry of the kind', (kind) => {
    const spec = device({ id: `a-${kind}`, kind, ...LEAST[kind] });
    expect(drivers[kind].placement).toBe(placementOf(spec));
    const placement = placementOf(spec);
    const cores = placement.hostCores(spec);
    expect(cores === 'all' || cores === 'none' || (Array.isArray(cores) && cores.every((core) => Number.isInteger(core) && core >= 0))).toBe(true);
    for (const { resource, capacity } of placement.sharedHardware(spec)) {
      expect(resource).toMatch(/^[a-z]+:.+/);
      if (capacity !== undefined) expect(capacity).toBeGreaterThanOrEqual(1);
    }
    expect(placement.shardWeight(spec)).toBeGreaterThan(0);
    expect(Number.isFinite(placement.shardWeight(spec))).toBe(true);
    expect(['host', 'ssh-board', 'adb-phone', 'none']).toContain(placement.sensors(spec).on);
  });

  it('says which devices compute on this machine, and on which of its cores', () => {
    const cores = (spec: Record<string, unknown>) => {
      const d = device(spec);
      return placementOf(d).hostCores(d);
    };
    expect(cores({ id: 'host', kind: 'local' })).toBe('all');
    expect(cores({ id: 'little', kind: 'emulated', cpus: [2, 3] })).toEqual([2, 3]);
    expect(cores({ id: 'chromium', kind: 'appium' })).toBe('all');
    expect(cores({ id: 'pixel', kind: 'appium', platform: 'android', capabilities: { 'appium:udid': 'X' } })).toBe('none');
    // A board's cpus are its own cores, not this machine's.
    expect(cores({ id: 'pi', kind: 'ssh', host: 'pi.local', cpus: [0, 1] })).toBe('none');
  });

  it('says where the sensors are, or why they cannot be read', () => {
    const sensors = (spec: Record<string, unknown>) => {
      const d = device(spec);
      return placementOf(d).sensors(d);
    };
    expect(sensors({ id: 'arm', kind: 'qemu-arm64' })).toEqual({ on: 'host' });
    expect(sensors({ id: 'pi', kind: 'ssh', host: 'pi.local' })).toMatchObject({ on: 'ssh-board', board: { host: 'pi.local' } });
    expect(sensors({ id: 'pixel', kind: 'appium', platform: 'android', capabilities: { 'appium:udid': 'R58M' } })).toEqual({ on: 'adb-phone', serial: 'R58M' });
    expect(sensors({ id: 'farm', kind: 'appium', platform: 'android', server: { urlEnv: 'FARM_URL' } })).toEqual({
      on: 'none',
      reason: expect.stringContaining('device farm behind the server in $FARM_URL'),
    });
  });
});

/**
 * Runs one job per device under the claims, each job holding its resources
 * over a few turns of the event loop, and returns which devices ever ran at
 * the same time (pairs, and every set of devices running at once).
 */
async function overlapsUnder(devices: DeviceSpec[]): Promise<Set<string> & { together: string[][] }> {
  const { claims, capacity } = claimsOf(devices, { hostDevices: 'exclusive', parallel: true }, 4);
  const running = new Set<string>();
  const overlaps = Object.assign(new Set<string>(), { together: [] as string[][] });
  await runScheduled(devices, {
    resourcesOf: (d) => claims.get(d.id)!.resources,
    capacity,
    async run(d) {
      for (const other of running) overlaps.add([other, d.id].sort().join('+'));
      running.add(d.id);
      overlaps.together.push([...running]);
      for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
      running.delete(d.id);
    },
  });
  return overlaps;
}

describe('claims from placements', () => {
  it('two entries for one board take turns, while another board runs beside them', async () => {
    const overlaps = await overlapsUnder([
      device({ id: 'pi-big', kind: 'ssh', host: 'pi.local', cpus: [2, 3] }),
      device({ id: 'pi-little', kind: 'ssh', host: 'pi.local', port: 22, cpus: [0, 1] }),
      device({ id: 'jetson', kind: 'ssh', host: 'jetson.local' }),
    ]);
    expect(overlaps.has('pi-big+pi-little')).toBe(false);
    expect(overlaps.has('jetson+pi-big')).toBe(true);
  });

  it('two entries for one USB phone take turns; two on one farm endpoint run together up to its concurrency', async () => {
    const farm = (id: string, concurrency?: number) =>
      device({ id, kind: 'appium', platform: 'android', server: { url: 'https://hub.example.com/wd/hub', ...(concurrency ? { concurrency } : {}) } });
    const overlaps = await overlapsUnder([
      device({ id: 'pixel', kind: 'appium', platform: 'android', capabilities: { 'appium:udid': 'X' } }),
      device({ id: 'pixel-4x', kind: 'appium', platform: 'android', cpuThrottling: 4, capabilities: { 'appium:udid': 'X' } }),
      farm('farm-a', 2),
      farm('farm-b', 2),
      // No concurrency of its own: the endpoint's limit, given by the other entries, still holds it.
      farm('farm-c'),
    ]);
    expect(overlaps.has('pixel+pixel-4x')).toBe(false);
    expect(overlaps.has('farm-a+farm-b')).toBe(true);
    const onFarm = overlaps.together.map((ids) => ids.filter((id) => id.startsWith('farm-')).length);
    expect(Math.max(...onFarm)).toBe(2);
  });

  it('devices that compute on this machine take turns, and run beside those that compute elsewhere', async () => {
    const overlaps = await overlapsUnder([
      device({ id: 'host', kind: 'local' }),
      device({ id: 'page', kind: 'browser' }),
      device({ id: 'pi', kind: 'ssh', host: 'pi.local' }),
    ]);
    expect(overlaps.has('host+page')).toBe(false);
    expect(overlaps.has('host+pi')).toBe(true);
  });
});

describe('shard weights', () => {
  const plan = { suite: { warmup: 1, iterations: 9 }, variants: [{ variant: { diskBytes: 1000 } }] } as unknown as Pick<RunPlan, 'suite' | 'variants'>;
  const weight = (spec: Record<string, unknown>) => {
    const d = device(spec);
    return placementOf(d).shardWeight(d);
  };

  it('weigh a row of the matrix: the cost is the weight times the work', () => {
    const emulated = device({ id: 'quarter', kind: 'emulated', cpus: [0], cpuQuota: 0.25 });
    expect(deviceCost(plan, emulated, 3)).toBe(weight(emulated) * 3 * 10 * 1000);
  });

  it('rank the kinds by how slowly they run a cell: a local process the least, a quota of a core by its inverse, throttling and emulation more', () => {
    const local = weight({ id: 'host', kind: 'local' });
    expect(local).toBe(1);
    expect(weight({ id: 'whole', kind: 'emulated', cpus: [0] })).toBe(local);
    expect(weight({ id: 'quarter', kind: 'emulated', cpus: [0], cpuQuota: 0.25 })).toBe(4 * local);
    expect(weight({ id: 'page-4x', kind: 'browser', cpuThrottling: 4 })).toBeGreaterThan(weight({ id: 'page', kind: 'browser' }));
    expect(weight({ id: 'arm', kind: 'qemu-arm64' })).toBeGreaterThan(weight({ id: 'page-4x', kind: 'browser', cpuThrottling: 4 }));
  });
});
