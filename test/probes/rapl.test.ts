import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { raplProbe } from '../../harness/probes/rapl.ts';
import { hostHas, probeContext, sysfsCopy, type SysfsTree } from '../helpers/sysfs.ts';

const ENERGY = '/sys/class/powercap/intel-rapl:0/energy_uj';
const RANGE = 262_143_328_850;
const START = 262_100_000_000;

describe('RAPL probe', () => {
  let tree: SysfsTree;
  beforeEach(async () => {
    tree = await sysfsCopy('intel-laptop');
  });
  afterEach(() => tree.cleanup());

  it("measures the package zone across a counter wrap-around, between the timed phase's edges", async () => {
    const probe = raplProbe(probeContext(tree.root, 'laptop'));
    expect(await probe.start(0)).toBeUndefined();
    await tree.write(ENERGY, String(START + 20_000_000)); // +20 J
    await probe.sample(100);
    await tree.write(ENERGY, String(5_000_000)); // wrapped: +23.32885 J to the wrap, +5 J after it
    await probe.sample(200);
    await tree.write(ENERGY, String(9_000_000)); // +4 J
    const reading = await probe.stop(300, { start: 100, end: 300 });
    expect(reading.source).toBe('measured');
    if (reading.source !== 'measured') return;
    expect(reading.trace.map(([ms]) => ms)).toEqual([0, 100, 200, 300]);
    expect(reading.trace.at(-1)![1]).toBeCloseTo(20 + (RANGE - START - 20_000_000) / 1e6 + 5 + 4, 6);
    // Only the timed phase: everything after the sample at 100 ms.
    expect(reading.joules).toBeCloseTo((RANGE - START - 20_000_000) / 1e6 + 5 + 4, 6);
    // The psys zone (whole platform) and the subzones are not added to the package.
    expect(reading.method).toContain('package-0 (/sys/class/powercap/intel-rapl:0/energy_uj)');
    expect(reading.method).not.toContain('psys');
  });

  it('follows a counter that steps back (a reading out of order) from its new value, counting no energy for the step, and says so', async () => {
    const probe = raplProbe(probeContext(tree.root, 'laptop'));
    await tree.write(ENERGY, '1000000000');
    expect(await probe.start(0)).toBeUndefined();
    await tree.write(ENERGY, '1003000000'); // +3 J
    await probe.sample(100);
    await tree.write(ENERGY, '1002000000'); // an earlier value, read late: no energy, no wrap-around
    await probe.sample(200);
    await tree.write(ENERGY, '1006000000'); // +4 J from there
    const reading = await probe.stop(300, undefined);
    if (reading.source !== 'measured') throw new Error(`expected a measured reading, got ${JSON.stringify(reading)}`);
    expect(reading.joules).toBeCloseTo(7, 6);
    expect(reading.trace.map(([, joules]) => joules)).toEqual([0, 3, 3, 7]);
    expect(reading.method).toMatch(/; the counter stepped back 1 time \(a reading out of order or a reset, not a wrap-around\): those steps count no energy$/);
  });

  it('says why when there is no package zone, no counter range, or no powercap at all', async () => {
    await tree.write('/sys/class/powercap/intel-rapl:0/max_energy_range_uj', '');
    expect(await raplProbe(probeContext(tree.root, 'laptop')).start(0)).toMatch(/max_energy_range_uj is missing: the counter's wrap-around cannot be handled/);
    expect(await raplProbe(probeContext(`${tree.root}/sys/class/thermal`, 'laptop')).start(0)).toMatch(/^no \/sys\/class\/powercap\/intel-rapl:\* on \//);
  });

  it.runIf(!hostHas('/sys/class/powercap', /^intel-rapl:\d+$/))('is unavailable on this machine (no powercap zones), with the reason', async () => {
    expect(await raplProbe(probeContext('/', 'laptop')).start(0)).toBe('no /sys/class/powercap/intel-rapl:* on this machine (a VM, or RAPL not exposed)');
  });
});
