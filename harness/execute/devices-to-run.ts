import type { DeviceSpec } from '../core/device-spec.ts';
import { driverFor } from '../devices/registry.ts';
import type { RunPlan } from '../plan/plan.ts';
import { devicesOfShard, type Shard } from '../plan/shard.ts';
import type { RunProgress } from './run-progress.ts';

export interface DevicesToRun {
  /** The plan with only the devices that run. */
  plan: RunPlan;
  /** The devices this run is responsible for (its shard's part of the list), run or skipped, in the plan's order. */
  listed: DeviceSpec[];
  /** Optional devices left out, with the reason. */
  skipped: Map<string, string>;
}

/**
 * The devices a run measures. A shard runs its part of the device list (`merge` puts the parts back together);
 * optional devices that are not available now are left out, with the reason recorded.
 */
export async function devicesToRun(fullPlan: RunPlan, options: { repeats: number; shard?: Shard; progress?: RunProgress }): Promise<DevicesToRun> {
  const listed = options.shard ? devicesOfShard(fullPlan, options.shard, options.repeats) : fullPlan.devices;
  const skipped = new Map<string, string>();
  for (const device of listed) {
    const reason = device.optional ? await driverFor(device).unavailable?.(device) : undefined;
    if (reason) {
      skipped.set(device.id, reason);
      options.progress?.deviceSkipped?.(device, reason);
    }
  }
  return { plan: { ...fullPlan, devices: listed.filter((d) => !skipped.has(d.id)) }, listed, skipped };
}
