import { createHash } from 'node:crypto';
import type { DeviceSpec } from '../core/device-spec.ts';
import { mulberry32 } from '../stats/random.ts';
import type { PlannedVariant, RunPlan } from './plan.ts';
import { runsOn } from './variant-devices.ts';

/** One runner process to start: a device, a variant, and which repeat of that cell it is. */
export interface ScheduledRun {
  device: DeviceSpec;
  variant: PlannedVariant;
  repeat: number;
}

/**
 * The order runner processes start in. Repeat by repeat, every device runs
 * every variant once, so a slow drift of the machine (heat, background load)
 * touches all variants alike instead of whichever ran last:
 *  - by default the variants' order is shuffled anew each repeat (seeded by the
 *    run id, so a run's order can be reproduced);
 *  - with `ab`, only A and B run, alternating AB, BA, AB, ... so compare can pair
 *    each repeat of B with the A that ran beside it.
 */
export function scheduleRuns(
  plan: Pick<RunPlan, 'devices' | 'variants'>,
  options: { repeats: number; seed: string; ab?: { a: string; b: string } },
): ScheduledRun[] {
  const random = mulberry32(createHash('sha256').update(options.seed).digest().readUInt32LE(0));
  const byName = (name: string) => plan.variants.find((v) => v.variant.name === name)!;
  const order: ScheduledRun[] = [];
  for (let repeat = 1; repeat <= options.repeats; repeat++) {
    for (const device of plan.devices) {
      const variants = options.ab
        ? repeat % 2 === 1
          ? [byName(options.ab.a), byName(options.ab.b)]
          : [byName(options.ab.b), byName(options.ab.a)]
        : shuffled(plan.variants, random);
      for (const variant of variants) if (runsOn(variant, device.id)) order.push({ device, variant, repeat });
    }
  }
  return order;
}

/** Fisher-Yates shuffle (Knuth, TAOCP vol. 2, algorithm P) of a copy. */
function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}
