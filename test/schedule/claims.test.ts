import { describe, expect, it } from 'vitest';
import { DeviceSpec, DevicesFile } from '../../harness/core/device-spec.ts';
import { claimsOf } from '../../harness/schedule/claims.ts';

const device = (spec: Record<string, unknown>) => DeviceSpec.parse(spec);
const inventory = [
  device({ id: 'host', kind: 'local' }),
  device({ id: 'little', kind: 'emulated', cpus: [0] }),
  device({ id: 'big', kind: 'emulated', cpus: [1] }),
  device({ id: 'arm', kind: 'qemu-arm64' }),
  device({ id: 'page', kind: 'browser' }),
  device({ id: 'appium-chromium', kind: 'appium' }),
  device({ id: 'pixel', kind: 'appium', platform: 'android', capabilities: { 'appium:udid': 'X' } }),
  device({ id: 'farm-a', kind: 'appium', platform: 'android', server: { url: 'https://hub.example.com/wd/hub', concurrency: 2 } }),
  device({ id: 'farm-b', kind: 'appium', platform: 'android', server: { url: 'https://hub.example.com/wd/hub', concurrency: 2 } }),
  device({ id: 'grid', kind: 'appium', server: { url: 'https://grid.example.com/wd/hub' } }),
  device({ id: 'pi', kind: 'ssh', host: 'pi.local', cpus: [0, 1] }),
];
const resources = (claims: ReturnType<typeof claimsOf>['claims']) => Object.fromEntries([...claims].map(([id, c]) => [id, c.resources]));

describe('claimsOf', () => {
  it('exclusive: every device that computes on this machine holds "host"; boards, phones and farms hold only themselves and their endpoint', () => {
    const { claims, capacity, record } = claimsOf(inventory, { hostDevices: 'exclusive', parallel: true }, 2);
    expect(resources(claims)).toEqual({
      host: ['device:host', 'host'],
      little: ['device:little', 'host'],
      big: ['device:big', 'host'],
      arm: ['device:arm', 'host'],
      page: ['device:page', 'host'],
      'appium-chromium': ['device:appium-chromium', 'host'],
      pixel: ['device:pixel', 'phone:X'],
      'farm-a': ['device:farm-a', 'endpoint:https://hub.example.com/wd/hub'],
      'farm-b': ['device:farm-b', 'endpoint:https://hub.example.com/wd/hub'],
      grid: ['device:grid'],
      pi: ['device:pi', 'board:pi.local:22'],
    });
    expect(capacity('endpoint:https://hub.example.com/wd/hub')).toBe(2);
    expect(capacity('host')).toBe(1);
    expect(record.policy).toBe('exclusive');
    expect(record.shared).toEqual([
      { resource: 'host', devices: ['host', 'little', 'big', 'arm', 'page', 'appium-chromium'], capacity: 1 },
      { resource: 'endpoint:https://hub.example.com/wd/hub', devices: ['farm-a', 'farm-b'], capacity: 2 },
    ]);
  });

  it("disjoint-cores: emulated devices claim their pinned cores, the rest of this machine's devices all of them", () => {
    const { claims } = claimsOf(inventory, { hostDevices: 'disjoint-cores', parallel: true }, 2);
    expect(claims.get('little')!.resources).toEqual(['device:little', 'core:0']);
    expect(claims.get('big')!.resources).toEqual(['device:big', 'core:1']);
    expect(claims.get('host')!.resources).toEqual(['device:host', 'core:0', 'core:1']);
    // A board's cpus are its own cores, not this machine's.
    expect(claims.get('pi')!.resources).toEqual(['device:pi', 'board:pi.local:22']);
  });

  it('two entries for one board or one phone take turns: they are the same hardware', () => {
    const { record } = claimsOf(
      [
        device({ id: 'pi-big', kind: 'ssh', host: 'pi.local', cpus: [2, 3] }),
        device({ id: 'pi-little', kind: 'ssh', host: 'pi.local', port: 22, cpus: [0, 1] }),
        device({ id: 'other-pi', kind: 'ssh', host: 'pi.local', port: 2222 }),
        device({ id: 'pixel-chrome', kind: 'appium', platform: 'android', capabilities: { 'appium:udid': 'X' } }),
        device({ id: 'pixel-chrome-4x', kind: 'appium', platform: 'android', cpuThrottling: 4, capabilities: { 'appium:udid': 'X' } }),
      ],
      { hostDevices: 'exclusive', parallel: true },
      2,
    );
    expect(record.shared).toEqual([
      { resource: 'board:pi.local:22', devices: ['pi-big', 'pi-little'], capacity: 1 },
      { resource: 'phone:X', devices: ['pixel-chrome', 'pixel-chrome-4x'], capacity: 1 },
    ]);
  });

  it('parallel: false puts every device on one resource, remote ones included', () => {
    const { claims, record } = claimsOf(inventory, { hostDevices: 'exclusive', parallel: false }, 2);
    for (const claim of claims.values()) expect(claim.resources).toContain('run');
    expect(record.policy).toBe('serial');
  });
});

describe('devices.yaml scheduling', () => {
  it('defaults to exclusive and parallel, and refuses two limits for one endpoint, naming the field and the fix', () => {
    expect(DevicesFile.parse({ scheduling: {}, devices: [{ id: 'host', kind: 'local' }] }).scheduling).toEqual({ hostDevices: 'exclusive', parallel: true });
    const result = DevicesFile.safeParse({
      devices: [
        { id: 'a', kind: 'appium', server: { url: 'https://hub.example.com/wd/hub', concurrency: 5 } },
        { id: 'b', kind: 'appium', server: { url: 'https://hub.example.com/wd/hub', concurrency: 2 } },
      ],
    });
    expect(result.success).toBe(false);
    const issue = result.error!.issues[0]!;
    expect(issue.path).toEqual(['devices', 1, 'server', 'concurrency']);
    expect(issue.message).toBe('server https://hub.example.com/wd/hub has concurrency 2 here and 5 in devices[0]');
  });
});
