import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostFiles } from '../../harness/probes/files.ts';
import { hwmonProbe, hwmonSensors } from '../../harness/probes/hwmon.ts';
import { temperatureNow } from '../../harness/probes/registry.ts';
import { thermalZoneSensors, thermalZonesProbe } from '../../harness/probes/thermal-zones.ts';
import { hostHas, probeContext, sysfsCopy, type SysfsTree } from '../helpers/sysfs.ts';

describe('temperature probes', () => {
  let laptop: SysfsTree;
  let pi: SysfsTree;
  beforeAll(async () => {
    [laptop, pi] = await Promise.all([sysfsCopy('intel-laptop'), sysfsCopy('raspberry-pi-5')]);
  });
  afterAll(() => Promise.all([laptop.cleanup(), pi.cleanup()]));

  it('thermal zones: keeps the CPU zones (not the Wi-Fi card or the ACPI zone) and samples the hottest in millidegrees', async () => {
    expect(await thermalZoneSensors(hostFiles(laptop.root))).toEqual([
      { label: 'x86_pkg_temp (thermal_zone2)', path: '/sys/class/thermal/thermal_zone2/temp', divisor: 1000 },
    ]);
    const probe = thermalZonesProbe(probeContext(laptop.root));
    expect(await probe.start(0)).toBeUndefined();
    await laptop.write('/sys/class/thermal/thermal_zone2/temp', '67500');
    await probe.sample(100);
    const reading = await probe.stop(200, undefined);
    expect(reading).toMatchObject({
      source: 'measured',
      sensor: 'x86_pkg_temp (thermal_zone2)',
      trace: [
        [0, 52],
        [100, 67.5],
        [200, 67.5],
      ],
    });
    await laptop.write('/sys/class/thermal/thermal_zone2/temp', '52000');
  });

  it('thermal zones on a board: its one cpu-thermal zone', async () => {
    expect(await temperatureNow(hostFiles(pi.root))).toEqual({ celsius: 51.85, sensor: 'cpu-thermal (thermal_zone0)' });
  });

  it("hwmon: the CPU chip's inputs (coretemp), not the SSD, labelled as the driver names them", async () => {
    const sensors = await hwmonSensors(hostFiles(laptop.root));
    expect(Array.isArray(sensors) && sensors.map((s) => s.label)).toEqual([
      'coretemp Package id 0 (hwmon2/temp1_input)',
      'coretemp Core 0 (hwmon2/temp2_input)',
      'coretemp Core 1 (hwmon2/temp3_input)',
      'coretemp Core 2 (hwmon2/temp4_input)',
      'coretemp Core 3 (hwmon2/temp5_input)',
    ]);
    const probe = hwmonProbe(probeContext(laptop.root));
    expect(await probe.start(0)).toBeUndefined();
    expect(await probe.stop(100, undefined)).toMatchObject({
      source: 'measured',
      trace: [
        [0, 52],
        [100, 52],
      ],
      sensor: 'coretemp Package id 0 (hwmon2/temp1_input)',
    });
  });

  it('skips a sensor whose reading is an error code, not a temperature', async () => {
    await pi.write('/sys/class/thermal/thermal_zone0/temp', '-274000');
    expect(await temperatureNow(hostFiles(pi.root))).toEqual({ celsius: 51.85, sensor: 'cpu_thermal (hwmon0/temp1_input)' });
    await pi.write('/sys/class/thermal/thermal_zone0/temp', '51850');
  });

  it.runIf(!hostHas('/sys/class/thermal', /^thermal_zone/) && !hostHas('/sys/class/hwmon', /^hwmon/))(
    'is unavailable on this machine (no thermal zones, no hwmon), with the reasons',
    async () => {
      expect(await thermalZonesProbe(probeContext('/')).start(0)).toBe('no /sys/class/thermal/thermal_zone* on this machine');
      expect(await hwmonProbe(probeContext('/')).start(0)).toBe('no /sys/class/hwmon/hwmon* on this machine');
      expect(await temperatureNow(hostFiles('/'))).toEqual({
        unavailable: 'thermal zones: no /sys/class/thermal/thermal_zone* on this machine; hwmon: no /sys/class/hwmon/hwmon* on this machine',
      });
    },
  );
});
