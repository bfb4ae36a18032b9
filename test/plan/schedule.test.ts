import { describe, expect, it } from 'vitest';
import type { PlannedVariant } from '../../harness/plan/plan.ts';
import { scheduleRuns } from '../../harness/plan/schedule.ts';

const variant = (name: string) => ({ variant: { name } }) as PlannedVariant;
const plan = {
  devices: [
    { id: 'host', kind: 'local' as const },
    { id: 'other', kind: 'local' as const },
  ],
  variants: ['fp32', 'int8', 'int4'].map(variant),
};
const keys = (runs: ReturnType<typeof scheduleRuns>) => runs.map((r) => `${r.repeat}:${r.device.id}:${r.variant.variant.name}`);

describe('scheduleRuns', () => {
  it('runs every device x variant once per repeat, repeat after repeat', () => {
    const runs = scheduleRuns(plan, { repeats: 4, seed: 'run-1' });
    expect(runs).toHaveLength(4 * 2 * 3);
    for (let repeat = 1; repeat <= 4; repeat++) {
      const block = runs.slice((repeat - 1) * 6, repeat * 6);
      expect(block.every((r) => r.repeat === repeat)).toBe(true);
      expect(new Set(block.map((r) => `${r.device.id}:${r.variant.variant.name}`)).size).toBe(6);
    }
  });

  it('runs a variant that names its devices on those devices only', () => {
    const hostOnly = { ...variant('q4_k_m'), devices: ['host'] } as PlannedVariant;
    const runs = scheduleRuns({ ...plan, variants: [...plan.variants, hostOnly] }, { repeats: 2, seed: 'run-1' });
    expect(runs).toHaveLength(2 * (2 * 3 + 1));
    expect(runs.filter((r) => r.variant.variant.name === 'q4_k_m').map((r) => `${r.repeat}:${r.device.id}`)).toEqual(['1:host', '2:host']);
  });

  it('shuffles the variants anew each repeat, reproducibly from the seed', () => {
    const runs = scheduleRuns(plan, { repeats: 8, seed: 'run-1' });
    const orders = new Set(
      Array.from({ length: 8 }, (_, r) =>
        runs
          .slice(r * 6, r * 6 + 3)
          .map((x) => x.variant.variant.name)
          .join(','),
      ),
    );
    expect(orders.size).toBeGreaterThan(1);
    expect(keys(scheduleRuns(plan, { repeats: 8, seed: 'run-1' }))).toEqual(keys(runs));
    expect(keys(scheduleRuns(plan, { repeats: 8, seed: 'run-2' }))).not.toEqual(keys(runs));
  });

  it('alternates A and B (AB, BA, ...) for an interleaved A/B run, leaving the other variants out', () => {
    const runs = scheduleRuns({ ...plan, devices: [plan.devices[0]!] }, { repeats: 4, seed: 'x', ab: { a: 'fp32', b: 'int4' } });
    expect(keys(runs)).toEqual(['1:host:fp32', '1:host:int4', '2:host:int4', '2:host:fp32', '3:host:fp32', '3:host:int4', '4:host:int4', '4:host:fp32']);
  });
});
