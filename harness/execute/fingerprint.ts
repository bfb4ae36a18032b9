import { relative } from 'node:path';
import { sha256Text } from '../files/hash.ts';
import type { RunPlan } from '../plan/plan.ts';
import type { Shard } from '../plan/shard.ts';
import type { RunFingerprint } from '../results/journal.ts';

/** What the run measures, for the journal: a resume must measure the same. */
export function fingerprintOf(plan: RunPlan, settings: { repeats: number; ab?: NonNullable<RunFingerprint['ab']>; shard?: Shard }): RunFingerprint {
  return {
    suiteFile: relative(process.cwd(), plan.suiteFile),
    devicesFile: relative(process.cwd(), plan.devicesFile),
    ...(plan.deviceIds ? { deviceIds: plan.deviceIds } : {}),
    suiteSha256: sha256Text(JSON.stringify(plan.suite)),
    devicesSha256: sha256Text(JSON.stringify(plan.devices)),
    datasetSha256: plan.dataset.sha256,
    variants: Object.fromEntries(plan.variants.map((v) => [v.variant.name, v.variant.sha256])),
    repeats: settings.repeats,
    ...(settings.ab ? { ab: settings.ab } : {}),
    ...(settings.shard ? { shard: settings.shard } : {}),
  };
}
