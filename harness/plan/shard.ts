import type { DeviceSpec } from '../core/device-spec.ts';
import { placementOf } from '../devices/registry.ts';
import type { RunPlan } from './plan.ts';
import { runsOn } from './variant-devices.ts';

/** `--shard 2/4`: the second of four CI jobs. */
export interface Shard {
  index: number;
  total: number;
}

export function parseShard(text: string): Shard | undefined {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!match) return undefined;
  const [index, total] = [Number(match[1]), Number(match[2])];
  return total >= 1 && index >= 1 && index <= total ? { index, total } : undefined;
}

/**
 * The expected cost of a device's row of the matrix: its variants' weights
 * (bytes on disk, a proxy for the compute of dense models) times the
 * iterations and processes each runs, times the device's shard weight (how
 * much slower than a local process its kind runs a cell: its placement's).
 */
export function deviceCost(plan: Pick<RunPlan, 'suite' | 'variants'>, device: DeviceSpec, repeats: number): number {
  const perProcess = plan.suite.warmup + plan.suite.iterations;
  const bytes = plan.variants.filter((v) => runsOn(v, device.id)).reduce((sum, v) => sum + Math.max(v.variant.diskBytes, 1), 0);
  return placementOf(device).shardWeight(device) * repeats * perProcess * bytes;
}

/**
 * The devices one shard runs. The unit is a device's whole row of the
 * device x variant matrix: quality scoring compares a device's variants with
 * its reference variant, so they stay in one job. Rows go, costliest first,
 * to the least loaded shard (longest-processing-time first; ties by device
 * order), so the partition is deterministic, covers every device exactly
 * once, and keeps shards' expected times close. A shard may be empty when
 * there are more shards than devices.
 */
export function devicesOfShard(plan: Pick<RunPlan, 'suite' | 'variants' | 'devices'>, shard: Shard, repeats: number): DeviceSpec[] {
  const loads = Array.from({ length: shard.total }, () => 0);
  const assigned = new Map<string, number>();
  const rows = plan.devices.map((device, order) => ({ device, order, cost: deviceCost(plan, device, repeats) }));
  rows.sort((a, b) => b.cost - a.cost || a.order - b.order);
  for (const row of rows) {
    let target = 0;
    for (let s = 1; s < shard.total; s++) if (loads[s]! < loads[target]!) target = s;
    loads[target]! += row.cost;
    assigned.set(row.device.id, target + 1);
  }
  return plan.devices.filter((device) => assigned.get(device.id) === shard.index);
}
