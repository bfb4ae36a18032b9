import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeviceSpec } from '../../harness/core/device-spec.ts';
import { hostFiles } from '../../harness/probes/files.ts';
import { temperatureNow } from '../../harness/probes/registry.ts';
import { ThermalGatekeeper, waitUntilCool } from '../../harness/probes/thermal-gate.ts';
import { hostHas, sysfsCopy, type SysfsTree } from '../helpers/sysfs.ts';

const PKG = '/sys/class/thermal/thermal_zone2/temp';
const gate = (options: Partial<{ ceilingC: number; orWithinCOfIdle: number; timeoutSeconds: number; pollSeconds: number }> = {}) => ({
  ceilingC: 70,
  timeoutSeconds: 2,
  pollSeconds: 0.05,
  ...options,
});

describe('thermal gate', () => {
  let tree: SysfsTree;
  beforeEach(async () => {
    tree = await sysfsCopy('intel-laptop');
    await tree.write(PKG, '85000');
  });
  afterEach(() => tree.cleanup());
  const read = () => temperatureNow(hostFiles(tree.root));

  it('waits while the package is hot and passes once it has cooled under the ceiling, recording the wait', async () => {
    // The package cools to 64 °C 400 ms from now.
    const cooling = setTimeout(() => void tree.write(PKG, '64000'), 400);
    const record = await waitUntilCool(read, gate());
    clearTimeout(cooling);
    expect(record).toMatchObject({ status: 'passed', celsius: 64, limitC: 70 });
    // 'passed' rather than 'timed-out' already says it stopped waiting before the 2 s timeout.
    expect(record.waitedMs).toBeGreaterThanOrEqual(350);
    expect(record.note).toMatch(/^gated: x86_pkg_temp \(thermal_zone2\) at 64\.0 °C \(ceiling 70\.0 °C\) after 0\.\d s$/);
  });

  it('times out on a device that never cools, and marks the process thermally ungated', async () => {
    const record = await waitUntilCool(read, gate({ timeoutSeconds: 0.3 }));
    expect(record).toMatchObject({ status: 'timed-out', celsius: 85, limitC: 70 });
    expect(record.waitedMs).toBeGreaterThanOrEqual(290);
    expect(record.note).toBe('thermally ungated: timed out after 0.3 s, x86_pkg_temp (thermal_zone2) still at 85.0 °C (ceiling 70.0 °C)');
  });

  it('passes a device that idles above the ceiling once it is within the allowed rise over its idle temperature', async () => {
    await tree.write(PKG, '79000');
    const record = await waitUntilCool(read, gate({ orWithinCOfIdle: 5, timeoutSeconds: 0.2 }), { idleC: 75 });
    expect(record).toMatchObject({ status: 'passed', celsius: 79, limitC: 80 });
    expect(record.note).toContain('(idle 75.0 °C + 5 °C)');
  });

  it('never waits without a sensor, or with the gate off, and says which', async () => {
    const pi = await sysfsCopy('raspberry-pi-5');
    const empty = `${pi.root}/sys/class/power_supply`;
    const noSensor = await waitUntilCool(() => temperatureNow(hostFiles(empty)), gate({ timeoutSeconds: 60 }));
    await pi.cleanup();
    expect(noSensor).toMatchObject({ status: 'no-sensor' });
    // Waiting at all would last the whole 60 s timeout.
    expect(noSensor.waitedMs).toBeLessThan(30_000);
    expect(noSensor.note).toBe(
      `thermally ungated: no thermal sensor (thermal zones: no /sys/class/thermal/thermal_zone* on ${empty}; hwmon: no /sys/class/hwmon/hwmon* on ${empty})`,
    );
    expect(await waitUntilCool(read, 'off')).toEqual({ status: 'off', waitedMs: 0, note: 'thermally ungated: the thermal gate is off' });
  });

  it.runIf(!hostHas('/sys/class/thermal', /^thermal_zone/) && !hostHas('/sys/class/hwmon', /^hwmon/))(
    'on this machine (no sensors) the default gate does not wait',
    async () => {
      const keeper = new ThermalGatekeeper();
      const record = await keeper.beforeRunnerProcess(DeviceSpec.parse({ id: 'host', kind: 'local' }));
      expect(record.status).toBe('no-sensor');
      // Far below any poll a waiting gate would make (its timeout is minutes), however loaded the machine.
      expect(record.waitedMs).toBeLessThan(10_000);
    },
  );

  it("sleeps the fixed cooldown before every process of a device but its first, and takes the device's own gate over the suite's", async () => {
    await tree.write(PKG, '60000');
    const keeper = new ThermalGatekeeper({ cooldownSeconds: 0.2, gate: gate({ ceilingC: 90 }) });
    const device = DeviceSpec.parse({
      id: 'laptop',
      kind: 'local',
      probes: { root: tree.root },
      thermalGate: { ceilingC: 55, timeoutSeconds: 0.1, pollSeconds: 0.05 },
    });
    const first = await keeper.beforeRunnerProcess(device);
    expect(first.cooldownMs).toBeUndefined();
    // The device's ceiling (55 °C), not the suite's (90 °C); its idle reading (60 °C) does not count without orWithinCOfIdle.
    expect(first).toMatchObject({ status: 'timed-out', limitC: 55 });
    const second = await keeper.beforeRunnerProcess(device);
    expect(second.cooldownMs).toBeGreaterThanOrEqual(190);
  });
});
