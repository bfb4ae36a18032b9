import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ANDROID_PEAK_METHOD,
  describeDeviceState,
  parseBattery,
  parseMeminfo,
  parseThermalService,
  readDeviceState,
  rendererPeak,
  rendererPids,
  type AndroidShell,
} from '../../harness/devices/appium/android.ts';
import { statusField } from '../../harness/runner/memory.ts';
import { remoteCredentials, serverName, sessionCapabilities } from '../../harness/devices/appium/capabilities.ts';
import { AppiumDeviceSpec } from '../../harness/core/device-spec.ts';

const FIXTURES = join(import.meta.dirname, '../fixtures/android');
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');

/** A phone that answers the recorded session's commands, in order, and fails on anything else. */
function replayedPhone(): { shell: AndroidShell; remaining: () => number } {
  const session = JSON.parse(fixture('session.json')) as { command: string; args: string[]; output: string }[];
  let next = 0;
  return {
    shell: async (command, args) => {
      const expected = session[next++];
      if (!expected || expected.command !== command || JSON.stringify(expected.args) !== JSON.stringify(args)) {
        throw new Error(
          `unexpected command ${command} ${args.join(' ')}; the recorded session has ${expected ? `${expected.command} ${expected.args.join(' ')}` : 'nothing more'} here`,
        );
      }
      return fixture(expected.output);
    },
    remaining: () => session.length - next,
  };
}

describe('Android readers, against output in the formats the phone prints', () => {
  it('dumpsys battery: level, temperature in degrees, charging status and power source', () => {
    expect(parseBattery(fixture('dumpsys-battery.txt'))).toEqual({ levelPercent: 87, temperatureC: 29.5, status: 'charging', plugged: ['usb'] });
    expect(parseBattery(fixture('dumpsys-battery-unplugged.txt'))).toEqual({ levelPercent: 42, temperatureC: 33.8, status: 'discharging', plugged: [] });
    expect(() => parseBattery('Current Battery Service state:\n  present: false\n')).toThrow(/no numeric "level" field/);
  });

  it("dumpsys thermalservice: the status and the HAL's current temperatures, or the cached ones without a HAL", () => {
    const hal = parseThermalService(fixture('dumpsys-thermalservice.txt'));
    expect(hal).toMatchObject({ status: 1, statusName: 'light' });
    expect(hal.temperatures).toEqual([
      { name: 'battery', type: 'battery', celsius: 31.5 },
      { name: 'skin', type: 'skin', celsius: 39.2 },
      { name: 'cpu0-silver-usr', type: 'cpu', celsius: 55.600002 },
      { name: 'cpu4-gold-usr', type: 'cpu', celsius: 61.3 },
      { name: 'gpu0-usr', type: 'gpu', celsius: 47 },
    ]);
    const cached = parseThermalService(fixture('dumpsys-thermalservice-cached-only.txt'));
    expect(cached).toEqual({
      status: 0,
      statusName: 'none',
      temperatures: [
        { name: 'battery', type: 'battery', celsius: 29.8 },
        { name: 'skin', type: 'skin', celsius: 33 },
      ],
    });
    expect(() => parseThermalService("Can't find service: thermalservice\n")).toThrow(/Android 10 or newer/);
  });

  it("ps and /proc/<pid>/status: Chrome's renderers and their peak resident set", () => {
    expect(rendererPids(fixture('ps-A.txt'), 'com.android.chrome')).toEqual([7801, 7844]);
    expect(rendererPids(fixture('ps-A.txt'), 'org.chromium.chrome')).toEqual([]);
    expect(statusField(fixture('proc-7844-status.txt'), 'VmHWM')).toBe(402_716 * 1024);
    expect(statusField(fixture('proc-7844-status.txt'), 'VmRSS')).toBe(385_128 * 1024);
  });

  it("dumpsys meminfo <pid>: the App Summary's TOTAL PSS and TOTAL RSS", () => {
    expect(parseMeminfo(fixture('dumpsys-meminfo-7844.txt'))).toEqual({ pssBytes: 304_676 * 1024, rssBytes: 385_128 * 1024 });
    expect(() => parseMeminfo('No process found for: 7844\n')).toThrow(/no TOTAL PSS/);
  });

  it("one cell's command sequence: state before, the page's peak, state after", async () => {
    const phone = replayedPhone();
    const before = await readDeviceState(phone.shell);
    expect(describeDeviceState(before)).toBe('battery 87% 29.5 °C charging, on usb power, thermal status light (skin 39.2 °C)');
    // The page's renderer is the one holding the model: the largest peak of Chrome's renderers.
    expect(await rendererPeak(phone.shell)).toEqual({
      peak: { bytes: 402_716 * 1024, method: ANDROID_PEAK_METHOD },
      pid: 7844,
      now: { pssBytes: 304_676 * 1024, rssBytes: 385_128 * 1024 },
    });
    const after = await readDeviceState(phone.shell);
    expect(describeDeviceState(after)).toBe('battery 42% 33.8 °C discharging, thermal status none (skin 33.0 °C)');
    expect(phone.remaining()).toBe(0);
  });
});

describe('Appium sessions: capabilities and credentials', () => {
  const spec = (input: object) => AppiumDeviceSpec.parse({ id: 'phone', kind: 'appium', ...input });

  it("asks a phone for Chrome through UiAutomator2, with the device's own capabilities on top", () => {
    const caps = sessionCapabilities(spec({ platform: 'android', capabilities: { 'appium:udid': 'R5CT10ABCDE', 'appium:deviceName': 'Pixel 7' } }), {
      chromedriverPort: 9515,
      profileDir: '/tmp/p',
      timeoutMs: 600_000,
    });
    expect(caps).toEqual({
      platformName: 'Android',
      browserName: 'Chrome',
      'appium:automationName': 'UiAutomator2',
      'appium:newCommandTimeout': 660,
      'appium:chromedriverAutodownload': false,
      'appium:udid': 'R5CT10ABCDE',
      'appium:deviceName': 'Pixel 7',
    });
    expect(sessionCapabilities(spec({ platform: 'ios' }), { chromedriverPort: 9515, profileDir: '/tmp/p', timeoutMs: 60_000 })).toMatchObject({
      platformName: 'iOS',
      browserName: 'Safari',
      'appium:automationName': 'XCUITest',
    });
  });

  it("keeps the local Chromium on Debian's binaries, never a download", () => {
    const caps = sessionCapabilities(spec({}), { chromedriverPort: 9777, profileDir: '/tmp/profile-x', timeoutMs: 60_000 });
    expect(caps).toMatchObject({
      'appium:automationName': 'Chromium',
      'appium:autodownloadEnabled': false,
      'appium:chromedriverPort': 9777,
      'appium:executable': '/usr/bin/chromedriver',
    });
    expect((caps['goog:chromeOptions'] as { args: string[] }).args).toContain('--user-data-dir=/tmp/profile-x');
  });

  it('reads credentials only from the named environment variables, and refuses them inline in the URL', () => {
    const farm = spec({ server: { url: 'https://hub.browserstack.com/wd/hub', usernameEnv: 'BS_USER', accessKeyEnv: 'BS_KEY' } });
    expect(remoteCredentials(farm, { BS_USER: 'u', BS_KEY: 'k' })).toEqual({ url: 'https://hub.browserstack.com/wd/hub', user: 'u', key: 'k' });
    expect(remoteCredentials(farm, { BS_USER: 'u' })).toEqual({
      missing: 'environment variable BS_KEY is not set (device phone reads its credentials from it)',
    });
    expect(() => spec({ server: { url: 'https://user:key@hub.browserstack.com/wd/hub' } })).toThrow(
      /must not hold credentials: name the environment variables/,
    );
  });

  it('takes a signed endpoint (AWS Device Farm test grid) whole from the environment, and names only the variable', () => {
    const grid = spec({ server: { urlEnv: 'DEVICEFARM_TESTGRID_URL' } });
    const signed = 'https://testgrid-devicefarm.us-west-2.amazonaws.com/AQICAHsignedtoken/wd/hub';
    expect(remoteCredentials(grid, { DEVICEFARM_TESTGRID_URL: signed })).toEqual({ url: signed });
    expect(remoteCredentials(grid, {})).toEqual({
      missing: 'environment variable DEVICEFARM_TESTGRID_URL is not set (device phone reads its server URL from it)',
    });
    expect(serverName(grid)).toBe('the server in $DEVICEFARM_TESTGRID_URL');
    expect(serverName(spec({ server: { url: 'https://hub.browserstack.com/wd/hub?x=1' } }))).toBe('https://hub.browserstack.com/wd/hub');
    expect(() => spec({ server: { url: 'https://a.example/wd/hub', urlEnv: 'X' } })).toThrow(/either url or urlEnv/);
  });
});
