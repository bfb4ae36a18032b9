import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeviceSpec } from '../../harness/core/device-spec.ts';
import { startProbes } from '../../harness/probes/sampler.ts';
import { hostHas, sysfsCopy, type SysfsTree } from '../helpers/sysfs.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ENERGY = '/sys/class/powercap/intel-rapl:0/energy_uj';
const START_UJ = 262_100_000_000;

describe('probe sampling beside a runner', () => {
  let tree: SysfsTree;
  beforeEach(async () => {
    tree = await sysfsCopy('intel-laptop');
  });
  afterEach(() => tree.cleanup());

  it('samples the first probe of each measure at a fixed rate and measures over the timed phase the runner reports', async () => {
    // The package draws 12 W: its counter advances by 12 000 µJ per ms, written every 5 ms.
    const counter = tree.energyCounter(ENERGY, { watts: 12, startUj: START_UJ });
    const device = DeviceSpec.parse({ id: 'laptop', kind: 'local', probes: { root: tree.root, rateHz: 50 } });
    const sampling = await startProbes(device);
    await sleep(150);
    sampling.onEvent({ type: 'timed-phase', edge: 'start' });
    await sleep(500);
    sampling.onEvent({ type: 'timed-phase', edge: 'end', wallMs: 500, cpuMs: 480 });
    await sleep(100);
    const probes = await sampling.stop();
    await counter.stop();

    expect(probes.where).toBe(tree.root);
    expect(probes.timedWindowMs!.end - probes.timedWindowMs!.start).toBeGreaterThanOrEqual(495);
    expect(probes.energy).toMatchObject({ source: 'measured', probe: 'rapl' });
    if (probes.energy.source === 'measured') {
      const watts = probes.energy.joules / ((probes.timedWindowMs!.end - probes.timedWindowMs!.start) / 1000);
      // The counter file is rewritten every 5 ms and each sample reads it a little late; on a loaded machine the
      // writer's timer and the sampler's ticks slip by tens of ms, hence 12 W within 20%.
      expect(watts).toBeGreaterThan(9.6);
      expect(watts).toBeLessThan(14.4);
    }
    expect(probes.temperature).toMatchObject({ source: 'measured', probe: 'thermal-zones', sensor: 'x86_pkg_temp (thermal_zone2)' });
    expect(probes.throttling).toMatchObject({ source: 'measured', probe: 'cpufreq', governor: 'powersave' });
    // 750 ms at 50 Hz, plus one sample at each edge of the phase.
    expect(probes.cost.rateHz).toBe(50);
    expect(probes.cost.samples).toBeGreaterThan(20);
    expect(probes.cost.meanMs).toBeGreaterThan(0);
    expect(probes.cost.maxMs).toBeGreaterThanOrEqual(probes.cost.meanMs);
  });

  it('falls through to the next probe, and estimates from the power model where nothing can be read', async () => {
    const board = DeviceSpec.parse({
      id: 'farm-phone',
      kind: 'appium',
      platform: 'android',
      server: { url: 'https://farm.example/wd/hub' },
      powerModel: { name: 'pi5-datasheet', idleWatts: 2.7, activeWattsPerCore: 1.6 },
    });
    const sampling = await startProbes(board);
    sampling.onEvent({ type: 'timed-phase', edge: 'start' });
    sampling.onEvent({ type: 'timed-phase', edge: 'end', wallMs: 1000, cpuMs: 1000 });
    const probes = await sampling.stop();
    expect(probes.energy).toMatchObject({ source: 'estimated', joules: 2.7 + 1.6, from: expect.stringMatching(/^CPU time x pi5-datasheet: /) });
    const unreachable =
      "the phone is on a device farm behind https://farm.example/wd/hub: its USB is not this machine's, so adb cannot reach it, and farms give no shell outside a session; its sensors are not sampled";
    expect(probes.temperature).toEqual({ source: 'unavailable', reason: `thermal zones: ${unreachable}; hwmon: ${unreachable}` });
    expect(probes.cost).toEqual({ rateHz: 0, samples: 0, skipped: 0, meanMs: 0, maxMs: 0 });
  });

  it('turns sampling off at rateHz 0, and says so', async () => {
    const device = DeviceSpec.parse({ id: 'laptop', kind: 'local', probes: { root: tree.root, rateHz: 0 } });
    const probes = await (await startProbes(device)).stop();
    expect(probes.temperature).toEqual({
      source: 'unavailable',
      reason:
        'thermal zones: probes.rateHz is 0 for this device in devices.yaml: sampling is off; hwmon: probes.rateHz is 0 for this device in devices.yaml: sampling is off',
    });
  });

  it.runIf(
    !hostHas('/sys/class/powercap', /^intel-rapl:/) &&
      !hostHas('/sys/class/thermal', /^thermal_zone/) &&
      !hostHas('/sys/class/hwmon', /^hwmon/) &&
      !hostHas('/sys/class/power_supply', /./),
  )("on this machine every measure is unavailable, with each probe's reason, and nothing is sampled", async () => {
    const sampling = await startProbes(DeviceSpec.parse({ id: 'host', kind: 'local' }));
    const probes = await sampling.stop();
    expect(probes.energy).toEqual({
      source: 'unavailable',
      reason:
        'external meter: no powerMeter for this device in devices.yaml; RAPL: no /sys/class/powercap/intel-rapl:* on this machine (a VM, or RAPL not exposed); battery: no battery in /sys/class/power_supply on this machine; estimate: no powerModel for this device in devices.yaml to estimate from',
    });
    expect(probes.temperature.source).toBe('unavailable');
    expect(probes.throttling).toEqual({
      source: 'unavailable',
      reason: expect.stringContaining('cpufreq: no /sys/devices/system/cpu/cpu*/cpufreq/scaling_cur_freq on this machine'),
    });
    expect(probes.cost.rateHz).toBe(0);
  });
});
