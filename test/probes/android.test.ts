import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AndroidShell } from '../../harness/devices/appium/android.ts';
import { androidFiles, androidThermalProbe } from '../../harness/probes/android.ts';
import { batteryProbe } from '../../harness/probes/battery.ts';
import { temperatureNow } from '../../harness/probes/registry.ts';
import { SYSFS_FIXTURES } from '../helpers/sysfs.ts';

const ANDROID = join(import.meta.dirname, '../fixtures/android');
const PHONE = join(SYSFS_FIXTURES, 'android-phone');

/**
 * A phone's shell as Appium's `mobile: shell` answers it: cat and ls over the
 * phone's files (the android-phone tree), dumpsys from the recorded service
 * output, and toybox's messages for what is not there.
 */
function phoneShell(dumpsys: Record<string, string | undefined>): AndroidShell {
  return async (command, args) => {
    const path = args[0] ?? '';
    if (command === 'cat') return readFile(join(PHONE, path), 'utf8').catch(() => `cat: ${path}: No such file or directory\n`);
    if (command === 'ls') return (await readdir(join(PHONE, path)).catch(() => undefined))?.join('\n') ?? `ls: ${path}: No such file or directory\n`;
    if (command === 'dumpsys' && dumpsys[path]) return readFileSync(join(ANDROID, dumpsys[path]!), 'utf8');
    throw new Error(`${command} ${args.join(' ')}: not found`);
  };
}

describe('Android probes through the phone\'s shell', () => {
  it('reads the phone\'s battery through sysfs, with the discharge current\'s sign as the phone reports it', async () => {
    const files = androidFiles(phoneShell({}), 'the phone');
    const probe = batteryProbe({ deviceId: 'pixel', files, now: () => 0 });
    expect(await probe.start(0)).toBeUndefined();
    await probe.sample(1000);
    const reading = await probe.stop(2000, { start: 0, end: 2000 });
    // |-412 mA| x 3.987 V = 1.6426 W for 2 s.
    expect(reading).toMatchObject({ source: 'measured', method: expect.stringContaining('/sys/class/power_supply/battery/current_now x voltage_now') });
    if (reading.source === 'measured') expect(reading.joules).toBeCloseTo(0.412 * 3.987 * 2, 9);
    expect(await temperatureNow(files)).toEqual({ celsius: 55.6, sensor: 'cpu-1-0-usr (thermal_zone1)' });
  });

  it('takes the hottest CPU temperature from the thermal HAL, or its skin sensor when the HAL has only cached ones', async () => {
    for (const [fixture, celsius, sensor, status] of [
      ['dumpsys-thermalservice.txt', 61.3, 'thermal HAL cpu sensors (hottest: cpu4-gold-usr)', 'light'],
      // A phone whose HAL is not connected: only cached battery and skin temperatures.
      ['dumpsys-thermalservice-cached-only.txt', 33, 'thermal HAL skin sensors (hottest: skin)', 'none'],
    ] as const) {
      const probe = androidThermalProbe(phoneShell({ thermalservice: fixture, battery: 'dumpsys-battery.txt' }))({ deviceId: 'pixel', files: androidFiles(phoneShell({}), 'the phone'), now: () => 0 });
      expect(await probe.start(0)).toBeUndefined();
      const reading = await probe.stop(100, undefined);
      expect(reading.source).toBe('measured');
      if (reading.source !== 'measured') continue;
      expect(reading).toMatchObject({ trace: [[0, celsius], [100, celsius]], sensor });
      expect(reading.method).toBe(`${sensor} on the phone; thermal status during the process: ${status}`);
    }
  });

  it('falls back to the battery temperature on a phone without a thermal service', async () => {
    const probe = androidThermalProbe(phoneShell({ battery: 'dumpsys-battery-unplugged.txt' }))({ deviceId: 'old-phone', files: androidFiles(phoneShell({}), 'the phone'), now: () => 0 });
    expect(await probe.start(0)).toBeUndefined();
    expect(await probe.stop(100, undefined)).toMatchObject({ source: 'measured', sensor: 'battery temperature (dumpsys battery)', trace: [[0, 33.8], [100, 33.8]] });
    const mute = androidThermalProbe(phoneShell({}))({ deviceId: 'mute', files: androidFiles(phoneShell({}), 'the phone'), now: () => 0 });
    expect(await mute.start(0)).toMatch(/^neither dumpsys thermalservice nor dumpsys battery gave a temperature: dumpsys battery: not found/);
  });
});
