import { describe, expect, it } from 'vitest';
import type { DeviceSpec } from '../../harness/core/device-spec.ts';
import { deviceCost, devicesOfShard, parseShard } from '../../harness/plan/shard.ts';
import type { RunPlan } from '../../harness/plan/plan.ts';

const device = (id: string, extra: Partial<DeviceSpec> = {}) => ({ id, kind: 'local', ...extra }) as DeviceSpec;
const plan = (devices: DeviceSpec[]) =>
  ({
    suite: { warmup: 10, iterations: 100 },
    variants: [{ variant: { diskBytes: 4_000_000 } }, { variant: { diskBytes: 1_000_000 } }],
    devices,
  }) as unknown as Pick<RunPlan, 'suite' | 'variants' | 'devices'>;

const DEVICES = [
  device('host'),
  device('low-end', { kind: 'emulated', cpus: [0], cpuQuota: 0.25, fallback: 'none' } as Partial<DeviceSpec>),
  device('arm64', { kind: 'qemu-arm64', qemu: 'qemu-aarch64', cpuModel: 'cortex-a76' } as Partial<DeviceSpec>),
  device('chromium-4x', { kind: 'browser', cpuThrottling: 4, threads: 1 } as Partial<DeviceSpec>),
  device('pi', { kind: 'ssh', host: 'pi' } as Partial<DeviceSpec>),
  device('host-2'),
  device('host-3'),
];

describe('--shard i/n', () => {
  it('parses i/n and refuses anything else', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, total: 4 });
    for (const bad of ['0/4', '5/4', '2/0', '2', '1/2/3', 'a/b']) expect(parseShard(bad)).toBeUndefined();
  });

  it('puts every device in exactly one shard, the same way every time', () => {
    for (const total of [1, 2, 3, 4, 7, 9]) {
      const shards = Array.from({ length: total }, (_, k) => devicesOfShard(plan(DEVICES), { index: k + 1, total }, 5).map((d) => d.id));
      expect(shards.flat().sort()).toEqual(DEVICES.map((d) => d.id).sort());
      const again = Array.from({ length: total }, (_, k) => devicesOfShard(plan(DEVICES), { index: k + 1, total }, 5).map((d) => d.id));
      expect(again).toEqual(shards);
      // Within a shard the plan's device order is kept.
      for (const shard of shards) expect(shard).toEqual(DEVICES.map((d) => d.id).filter((id) => shard.includes(id)));
    }
  });

  it('balances by expected cost: the emulated ARM board, the costliest row, gets a shard of its own', () => {
    const costs = Object.fromEntries(DEVICES.map((d) => [d.id, deviceCost(plan(DEVICES), d, 5)]));
    expect(costs.arm64).toBeGreaterThan(costs['low-end']!);
    expect(costs['low-end']).toBe(4 * costs.host!);
    const two = [1, 2].map((index) => devicesOfShard(plan(DEVICES), { index, total: 2 }, 5).map((d) => d.id));
    expect(two.find((s) => s.includes('arm64'))).toEqual(['arm64']);
    // More shards than devices: the extra ones are empty, not an error.
    expect(devicesOfShard(plan(DEVICES.slice(0, 2)), { index: 3, total: 3 }, 5)).toEqual([]);
  });
});
