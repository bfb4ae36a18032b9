import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { execa } from 'execa';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceSpec } from '../../harness/core/device-spec.ts';
import { startProbes } from '../../harness/probes/sampler.ts';
import type { AndroidShell } from '../../harness/devices/appium/android.ts';
import { androidThermalProbe } from '../../harness/probes/android.ts';
import { phoneFiles } from '../../harness/probes/remote-files.ts';
import { batteryProbe } from '../../harness/probes/battery.ts';
import { filesFor, temperatureNow } from '../../harness/probes/registry.ts';
import { SYSFS_FIXTURES, sysfsCopy, type SysfsTree } from '../helpers/sysfs.ts';

const ANDROID = join(import.meta.dirname, '../fixtures/android');
const PHONE = join(SYSFS_FIXTURES, 'android-phone');

/**
 * A phone's shell as Appium's `mobile: shell` and adb answer it: the words
 * joined with spaces and run by a POSIX sh (over the android-phone tree, as
 * probes.root), dumpsys from the recorded service output.
 */
function phoneShell(dumpsys: Record<string, string | undefined>): AndroidShell {
  return async (command, args) => {
    if (command === 'dumpsys' && dumpsys[args[0]!]) return readFileSync(join(ANDROID, dumpsys[args[0]!]!), 'utf8');
    if (command === 'sh') return (await execa('sh', ['-c', [command, ...args].join(' ')])).stdout;
    throw new Error(`${command} ${args.join(' ')}: not found`);
  };
}
const files = () => phoneFiles(phoneShell({}), 'the phone', PHONE);

describe("Android probes through the phone's shell", () => {
  it("reads the phone's battery through sysfs, with the discharge current's sign as the phone reports it", async () => {
    const phone = files();
    const probe = batteryProbe({ deviceId: 'pixel', files: phone, now: () => 0 });
    expect(await probe.start(0)).toBeUndefined();
    await probe.sample(1000);
    const reading = await probe.stop(2000, { start: 0, end: 2000 });
    // |-412 mA| x 3.987 V = 1.6426 W for 2 s.
    expect(reading).toMatchObject({ source: 'measured', method: expect.stringContaining('/sys/class/power_supply/battery/current_now x voltage_now') });
    if (reading.source === 'measured') expect(reading.joules).toBeCloseTo(0.412 * 3.987 * 2, 9);
    expect(await temperatureNow(phone)).toEqual({ celsius: 55.6, sensor: 'cpu-1-0-usr (thermal_zone1)' });
  });

  it('takes the hottest CPU temperature from the thermal HAL, or its skin sensor when the HAL has only cached ones', async () => {
    for (const [fixture, celsius, sensor, status] of [
      ['dumpsys-thermalservice.txt', 61.3, 'thermal HAL cpu sensors (hottest: cpu4-gold-usr)', 'light'],
      // A phone whose HAL is not connected: only cached battery and skin temperatures.
      ['dumpsys-thermalservice-cached-only.txt', 33, 'thermal HAL skin sensors (hottest: skin)', 'none'],
    ] as const) {
      const probe = androidThermalProbe(phoneShell({ thermalservice: fixture, battery: 'dumpsys-battery.txt' }))({
        deviceId: 'pixel',
        files: files(),
        now: () => 0,
      });
      expect(await probe.start(0)).toBeUndefined();
      const reading = await probe.stop(100, undefined);
      expect(reading.source).toBe('measured');
      if (reading.source !== 'measured') continue;
      expect(reading).toMatchObject({
        trace: [
          [0, celsius],
          [100, celsius],
        ],
        sensor,
      });
      expect(reading.method).toBe(`${sensor} on the phone; thermal status during the process: ${status}`);
    }
  });

  it('falls back to the battery temperature on a phone without a thermal service', async () => {
    const probe = androidThermalProbe(phoneShell({ battery: 'dumpsys-battery-unplugged.txt' }))({ deviceId: 'old-phone', files: files(), now: () => 0 });
    expect(await probe.start(0)).toBeUndefined();
    expect(await probe.stop(100, undefined)).toMatchObject({
      source: 'measured',
      sensor: 'battery temperature (dumpsys battery)',
      trace: [
        [0, 33.8],
        [100, 33.8],
      ],
    });
    const mute = androidThermalProbe(phoneShell({}))({ deviceId: 'mute', files: files(), now: () => 0 });
    expect(await mute.start(0)).toMatch(/^neither dumpsys thermalservice nor dumpsys battery gave a temperature: dumpsys battery: not found/);
  });
});

const SERIAL = 'R58M41ABCDE';

/**
 * adb as the probes use it, `adb -s <serial> shell <words...>`, replaying a
 * phone: like adb, it joins the words with spaces for the phone's sh, which
 * then parses them (so what the probes send must be quoted as for a real
 * phone); dumpsys answers with the recorded output; a serial that is not
 * connected fails as adb does.
 */
const FAKE_ADB = `#!/bin/sh
[ "$1" = -s ] && [ "$2" = ${SERIAL} ] || { echo "adb: device '$2' not found" >&2; exit 1; }
shift 2
[ "$1" = shell ] || { echo "adb: unknown command $1" >&2; exit 1; }
shift
printf '%s\\036' "$*" >>"$ADB_LOG"
case "$*" in
  'dumpsys thermalservice') exec cat "$ANDROID_FIXTURES/dumpsys-thermalservice.txt" ;;
  'dumpsys battery') exec cat "$ANDROID_FIXTURES/dumpsys-battery.txt" ;;
esac
exec sh -c "$*"
`;

describe('a local Android phone sampled during a cell, over adb', () => {
  let bin: string;
  let phone: SysfsTree;
  const path = process.env['PATH'];
  beforeAll(async () => {
    bin = await mkdtemp(join(tmpdir(), 'edgebench-adb-'));
    await writeFile(join(bin, 'adb'), FAKE_ADB);
    await chmod(join(bin, 'adb'), 0o755);
    process.env['PATH'] = `${bin}:${path}`;
    process.env['ANDROID_FIXTURES'] = ANDROID;
    process.env['ADB_LOG'] = join(bin, 'calls');
    phone = await sysfsCopy('android-phone');
  });
  afterAll(async () => {
    process.env['PATH'] = path;
    delete process.env['ANDROID_FIXTURES'];
    delete process.env['ADB_LOG'];
    await rm(bin, { recursive: true, force: true });
    await phone.cleanup();
  });

  const pixel = (overrides: Record<string, unknown> = {}) =>
    DeviceSpec.parse({
      id: 'pixel',
      kind: 'appium',
      platform: 'android',
      adbReverse: true,
      capabilities: { 'appium:udid': SERIAL },
      probes: { root: phone.root, rateHz: 20 },
      ...overrides,
    });

  it('measures battery energy, temperature from the thermal zones, and the gate reads the phone, each sample one adb round trip', async () => {
    const spec = pixel();
    expect(await temperatureNow(filesFor(spec))).toEqual({ celsius: 55.6, sensor: 'cpu-1-0-usr (thermal_zone1)' });
    const calls = async () => (await readFile(join(bin, 'calls'), 'utf8').catch(() => '')).split('\x1e').filter(Boolean);
    const sampling = await startProbes(spec);
    const discovery = (await calls()).length;
    sampling.onEvent({ type: 'timed-phase', edge: 'start' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await phone.write('/sys/class/thermal/thermal_zone1/temp', '61200');
    await new Promise((resolve) => setTimeout(resolve, 300));
    sampling.onEvent({ type: 'timed-phase', edge: 'end', wallMs: 600, cpuMs: 600 });
    const probes = await sampling.stop();
    expect(probes.where).toBe(`phone pixel over adb (${SERIAL}), files under ${phone.root}`);
    expect(probes.energy).toMatchObject({
      source: 'measured',
      probe: 'battery',
      method: expect.stringContaining('/sys/class/power_supply/battery/current_now x voltage_now'),
    });
    if (probes.energy.source === 'measured')
      expect(probes.energy.joules / ((probes.timedWindowMs!.end - probes.timedWindowMs!.start) / 1000)).toBeCloseTo(0.412 * 3.987, 6);
    expect(probes.temperature).toMatchObject({ source: 'measured', probe: 'thermal-zones' });
    if (probes.temperature.source === 'measured') expect(probes.temperature.trace.at(-1)![1]).toBe(61.2);
    // The phone has no cpufreq files the shell may read in this tree: the reason names the phone.
    expect(probes.throttling).toEqual({
      source: 'unavailable',
      reason: `cpufreq: no /sys/devices/system/cpu/cpu*/cpufreq/scaling_cur_freq on phone pixel over adb (${SERIAL}), files under ${phone.root} (a VM, or no cpufreq driver): throttling cannot be detected`,
    });
    expect(probes.cost.samples).toBeGreaterThan(0);
    // One adb shell per sample and one for the last reading, each reading every file in one sh: the paths are its quoted arguments.
    const sampled = (await calls()).slice(discovery);
    expect(sampled).toHaveLength(probes.cost.samples + 1);
    expect(sampled.at(-1)).toMatch(/^sh -c 'for p do\n[^]*\ndone' sh '/);
    expect(sampled.at(-1)).toContain(` '${phone.root}/sys/class/power_supply/battery/current_now' `);
  });

  it('asks the thermal service where the shell user may not read the thermal zones', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'edgebench-phone-'));
    try {
      const probes = await (await startProbes(pixel({ probes: { root: empty } }))).stop();
      expect(probes.temperature).toMatchObject({ source: 'measured', probe: 'android-thermal', sensor: 'thermal HAL cpu sensors (hottest: cpu4-gold-usr)' });
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('a phone that is not connected, a phone without its serial and a farm phone say why nothing is sampled', async () => {
    const gone = await (await startProbes(pixel({ capabilities: { 'appium:udid': 'NOT-CONNECTED' } }))).stop();
    expect(gone.temperature).toMatchObject({
      source: 'unavailable',
      reason: expect.stringContaining(
        "adb -s NOT-CONNECTED shell sh failed: adb: device 'NOT-CONNECTED' not found; check that the phone is connected and authorised (adb devices)",
      ),
    });
    expect(filesFor(pixel({ adbReverse: false, capabilities: {} }))).toBe(
      'its sensors are read over adb, which needs the phone\'s serial: set capabilities."appium:udid" in devices.yaml (adb devices lists it)',
    );
    expect(filesFor(DeviceSpec.parse({ id: 'iphone', kind: 'appium', platform: 'ios' }))).toMatch(/^an iPhone gives no shell/);
  });
});
