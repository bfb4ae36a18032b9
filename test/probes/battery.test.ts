import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { batteryProbe } from '../../harness/probes/battery.ts';
import { hostHas, probeContext, sysfsCopy, type SysfsTree } from '../helpers/sysfs.ts';

const BAT = '/sys/class/power_supply/BAT0';

describe('battery probe', () => {
  let tree: SysfsTree;
  beforeEach(async () => {
    tree = await sysfsCopy('intel-laptop');
  });
  afterEach(() => tree.cleanup());

  it('integrates current x voltage samples with the trapezoid rule', async () => {
    const probe = batteryProbe(probeContext(tree.root, 'laptop'));
    // 1.25 A x 11.85 V = 14.8125 W at 0 ms (the fixture's reading).
    expect(await probe.start(0)).toBeUndefined();
    await tree.write(`${BAT}/current_now`, '2500000'); // 2.5 A x 11.85 V = 29.625 W
    await probe.sample(1000);
    await tree.write(`${BAT}/voltage_now`, '11000000'); // 2.5 A x 11 V = 27.5 W
    await probe.sample(2000);
    const reading = await probe.stop(3000, { start: 0, end: 2000 });
    expect(reading.source).toBe('measured');
    if (reading.source !== 'measured') return;
    // Trapezoids: (14.8125 + 29.625) / 2 x 1 s + (29.625 + 27.5) / 2 x 1 s + 27.5 x 1 s.
    expect(reading.trace.at(-1)![1]).toBeCloseTo(22.21875 + 28.5625 + 27.5, 9);
    expect(reading.joules).toBeCloseTo(22.21875 + 28.5625, 9);
    expect(reading.method).toBe(`battery discharge ${BAT}/current_now x voltage_now, sampled and integrated with the trapezoid rule: the whole device's draw`);
  });

  it("prefers power_now where the driver reports it, and ignores a peripheral's battery", async () => {
    await tree.write(`${BAT}/power_now`, '10000000'); // 10 W
    // Listed before BAT0: a Bluetooth keyboard's battery, which is not the system's.
    for (const [file, text] of Object.entries({ type: 'Battery', scope: 'Device', status: 'Discharging', power_now: '5000' }))
      await tree.write(`/sys/class/power_supply/0-keyboard/${file}`, text);
    const probe = batteryProbe(probeContext(tree.root, 'laptop'));
    expect(await probe.start(0)).toBeUndefined();
    const reading = await probe.stop(500, undefined);
    expect(reading).toMatchObject({ source: 'measured', method: expect.stringContaining(`${BAT}/power_now`) });
    if (reading.source === 'measured') expect(reading.joules).toBeCloseTo(5, 9);
  });

  it('refuses to measure on external power, and when charging starts during the process', async () => {
    await tree.write(`${BAT}/status`, 'Charging');
    expect(await batteryProbe(probeContext(tree.root, 'laptop')).start(0)).toBe(
      `${BAT} is Charging: on external power the battery current is not the device's draw (run on battery to measure)`,
    );
    await tree.write(`${BAT}/status`, 'Discharging');
    const probe = batteryProbe(probeContext(tree.root, 'laptop'));
    expect(await probe.start(0)).toBeUndefined();
    await tree.write(`${BAT}/status`, 'Charging');
    expect(await probe.stop(1000, undefined)).toEqual({ source: 'unavailable', reason: `${BAT} stopped discharging during the runner process (now Charging)` });
  });

  it('finds no battery on a board without one', async () => {
    const pi = await sysfsCopy('raspberry-pi-5');
    expect(await batteryProbe(probeContext(pi.root, 'laptop')).start(0)).toBe(`no battery in /sys/class/power_supply on ${pi.root}`);
    await pi.cleanup();
  });

  it.runIf(!hostHas('/sys/class/power_supply', /./))('is unavailable on this machine (no power supplies), with the reason', async () => {
    expect(await batteryProbe(probeContext('/', 'laptop')).start(0)).toBe('no battery in /sys/class/power_supply on this machine');
  });
});
