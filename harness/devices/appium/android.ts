import { execa } from 'execa';
import { statusField } from '../../runner/memory.ts';
import type { MemoryReading } from '../../core/runner-protocol.ts';

/**
 * What edgebench reads from an Android phone around a cell, through Appium's
 * `mobile: shell` (UiAutomator2; the server must allow the adb_shell insecure
 * feature, which a local server started by edgebench does). Each reader is a
 * command sequence plus a parser of its output; the parsers are tested against
 * output in the formats AOSP's services print (test/fixtures/android).
 */

/** Runs one command on the phone as adb's shell user and returns its stdout. */
export type AndroidShell = (command: string, args: string[]) => Promise<string>;

export interface BatteryState {
  levelPercent: number;
  temperatureC: number;
  status: 'charging' | 'discharging' | 'not charging' | 'full' | 'unknown';
  plugged: ('ac' | 'usb' | 'wireless')[];
}

/** `dumpsys battery` (BatteryService): level/scale, temperature in tenths of a degree, BatteryManager status codes. */
export function parseBattery(text: string): BatteryState {
  const field = (name: string) => new RegExp(`^\\s*${name}: (.+)$`, 'm').exec(text)?.[1]?.trim();
  const number = (name: string) => {
    const value = Number(field(name));
    if (field(name) === undefined || !Number.isFinite(value)) throw new Error(`dumpsys battery: no numeric "${name}" field in its output`);
    return value;
  };
  const statusCodes: Record<number, BatteryState['status']> = { 2: 'charging', 3: 'discharging', 4: 'not charging', 5: 'full' };
  const plugged = (['ac', 'usb', 'wireless'] as const).filter(
    (source) => field(`${source === 'ac' ? 'AC' : source === 'usb' ? 'USB' : 'Wireless'} powered`) === 'true',
  );
  return {
    levelPercent: (number('level') / (field('scale') ? number('scale') : 100)) * 100,
    temperatureC: number('temperature') / 10,
    status: statusCodes[number('status')] ?? 'unknown',
    plugged,
  };
}

export interface ThermalState {
  /** PowerManager thermal status: 0 none, 1 light, 2 moderate, 3 severe, 4 critical, 5 emergency, 6 shutdown. */
  status: number;
  statusName: string;
  /** Temperatures the thermal HAL reports now (the cached ones when the HAL section is missing). */
  temperatures: { name: string; type: string; celsius: number }[];
}

const THERMAL_STATUS = ['none', 'light', 'moderate', 'severe', 'critical', 'emergency', 'shutdown'];
/** android.os.Temperature types. */
const TEMPERATURE_TYPES: Record<number, string> = {
  0: 'cpu',
  1: 'gpu',
  2: 'battery',
  3: 'skin',
  4: 'usb port',
  5: 'power amplifier',
  6: 'bcl voltage',
  7: 'bcl current',
  8: 'bcl percentage',
  9: 'npu',
};

/** `dumpsys thermalservice` (ThermalManagerService, Android 10+). */
export function parseThermalService(text: string): ThermalState {
  const statusMatch = /^Thermal Status: (\d+)$/m.exec(text);
  if (!statusMatch) throw new Error('dumpsys thermalservice: no "Thermal Status" line in its output (Android 10 or newer is needed)');
  const status = Number(statusMatch[1]);
  const section = (title: string) => {
    const start = text.indexOf(`${title}:`);
    if (start < 0) return [];
    const lines = text.slice(start).split('\n').slice(1);
    const end = lines.findIndex((line) => !/^\s/.test(line));
    return lines.slice(0, end < 0 ? undefined : end);
  };
  const fromHal = section('Current temperatures from HAL');
  const lines = fromHal.some((l) => l.includes('Temperature{')) ? fromHal : section('Cached temperatures');
  const temperatures = lines.flatMap((line) => {
    const match = /Temperature\{mValue=(-?[\d.]+), mType=(-?\d+), mName=([^,]+), mStatus=\d+/.exec(line);
    return match ? [{ name: match[3]!, type: TEMPERATURE_TYPES[Number(match[2])] ?? `type ${match[2]}`, celsius: Number(match[1]) }] : [];
  });
  return { status, statusName: THERMAL_STATUS[status] ?? `status ${status}`, temperatures };
}

/** `ps -A -o PID,NAME`: the pids of a browser package's renderer (sandboxed) processes. */
export function rendererPids(psOutput: string, browserPackage: string): number[] {
  return psOutput.split('\n').flatMap((line) => {
    const match = /^\s*(\d+)\s+(\S+)\s*$/.exec(line);
    return match && match[2]!.startsWith(`${browserPackage}:sandboxed_process`) ? [Number(match[1])] : [];
  });
}

/** `dumpsys meminfo <pid>`: the process's proportional and resident set now (its App Summary totals), in bytes. */
export function parseMeminfo(text: string): { pssBytes: number; rssBytes?: number } {
  const pss = /TOTAL PSS:\s+(\d+)/.exec(text) ?? /^\s+TOTAL\s+(\d+)/m.exec(text);
  if (!pss) throw new Error('dumpsys meminfo: no TOTAL PSS in its output (is the process still running?)');
  const rss = /TOTAL RSS:\s+(\d+)/.exec(text);
  return { pssBytes: Number(pss[1]) * 1024, ...(rss ? { rssBytes: Number(rss[1]) * 1024 } : {}) };
}

export const ANDROID_PEAK_METHOD =
  "VmHWM of the browser's largest renderer process on the phone (adb shell: /proc/<pid>/status), peak since the renderer started: Android does not let the shell user reset it";

/**
 * The page's peak memory on the phone: Chrome's renderers are listed and the
 * one with the largest VmHWM is the page's (it holds onnxruntime-web's
 * WebAssembly memory and the model, far more than any other tab or service).
 */
export async function rendererPeak(
  shell: AndroidShell,
  browserPackage = 'com.android.chrome',
): Promise<{ peak: MemoryReading; pid: number; now?: ReturnType<typeof parseMeminfo> } | undefined> {
  const pids = rendererPids(await shell('ps', ['-A', '-o', 'PID,NAME']), browserPackage);
  let largest: { pid: number; bytes: number } | undefined;
  for (const pid of pids) {
    const peak = statusField(await shell('cat', [`/proc/${pid}/status`]).catch(() => ''), 'VmHWM');
    if (peak !== undefined && (largest === undefined || peak > largest.bytes)) largest = { pid, bytes: peak };
  }
  if (!largest) return undefined;
  // Android's own account of the same process, for the record: proportional set size counts shared pages fairly.
  const now = await shell('dumpsys', ['meminfo', String(largest.pid)]).then(parseMeminfo, () => undefined);
  return { peak: { bytes: largest.bytes, method: ANDROID_PEAK_METHOD }, pid: largest.pid, ...(now ? { now } : {}) };
}

/** Battery and thermal state in one reading. */
export async function readDeviceState(shell: AndroidShell): Promise<{ battery: BatteryState; thermal: ThermalState }> {
  return { battery: parseBattery(await shell('dumpsys', ['battery'])), thermal: parseThermalService(await shell('dumpsys', ['thermalservice'])) };
}

/** The state in words, for the cell's constraints: "battery 87% 29.5 °C discharging, thermal status none (skin 31.0 °C)". */
export function describeDeviceState(state: { battery: BatteryState; thermal: ThermalState }): string {
  const { battery, thermal } = state;
  const skin = thermal.temperatures.find((t) => t.type === 'skin');
  const plugged = battery.plugged.length ? `, on ${battery.plugged.join('+')} power` : '';
  return `battery ${battery.levelPercent.toFixed(0)}% ${battery.temperatureC.toFixed(1)} °C ${battery.status}${plugged}, thermal status ${thermal.statusName}${skin ? ` (skin ${skin.celsius.toFixed(1)} °C)` : ''}`;
}

/**
 * `adb -s <udid> shell` as an AndroidShell. adb joins the arguments with
 * spaces for the phone's sh, as Appium's mobile: shell does, so callers quote
 * what must stay one word (ssh/quote.ts shellWord).
 */
export function adbShell(udid: string, adb = 'adb', timeoutMs = 20_000): AndroidShell {
  return async (command, args) => {
    const result = await execa(adb, ['-s', udid, 'shell', command, ...args], { reject: false, stdin: 'ignore', timeout: timeoutMs, stripFinalNewline: false });
    if ((result as { code?: string }).code === 'ENOENT')
      throw new Error(`${adb} not found on PATH: install Android platform-tools to reach phone ${udid} over USB`);
    if (result.timedOut) throw new Error(`adb -s ${udid} shell ${command} did not answer within ${timeoutMs / 1000} s: check the USB connection (adb devices)`);
    // adb's own failures (no such device, unauthorised) exit 1 with nothing on stdout; a command's failure still prints what it printed.
    if (result.exitCode !== 0 && String(result.stdout) === '')
      throw new Error(
        `adb -s ${udid} shell ${command} failed: ${String(result.stderr).trim().split('\n').at(-1) || `exit status ${result.exitCode}`}; check that the phone is connected and authorised (adb devices)`,
      );
    return String(result.stdout);
  };
}

/**
 * Makes the phone's 127.0.0.1:<port> reach this machine's port over USB, so
 * the runner page is a secure (cross-origin isolated) loopback origin on the
 * phone too. Returns the undo.
 */
export async function adbReverse(udid: string, port: number, adb = 'adb'): Promise<() => Promise<void>> {
  const forward = ['-s', udid, 'reverse', `tcp:${port}`, `tcp:${port}`];
  const result = await execa(adb, forward, { reject: false, all: true });
  if (result.exitCode !== 0)
    throw new Error(
      `adb ${forward.join(' ')} failed: ${
        String(result.all ?? result.shortMessage)
          .trim()
          .split('\n')[0]
      }; check that adb is on PATH and the phone is connected (adb devices)`,
    );
  return async () => {
    await execa(adb, ['-s', udid, 'reverse', '--remove', `tcp:${port}`], { reject: false });
  };
}
