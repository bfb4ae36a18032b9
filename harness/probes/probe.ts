import type { PowerMeter, PowerModel } from '../core/probe-options.ts';
import type { AndroidShell } from '../devices/appium/android.ts';
import type { RunnerEvent } from '../core/runner-protocol.ts';
import type { EnergyReading, TemperatureReading, ThrottlingReading } from '../core/probe-readings.ts';

/**
 * A device's kernel files as probes read them: this machine's /sys and /proc,
 * a copy of another machine's tree (tests), or a phone's through its shell.
 * Paths are absolute on the device ("/sys/class/thermal").
 */
export interface DeviceFiles {
  /** Where the files are, in words: "this machine", or the tree's directory. */
  readonly where: string;
  /** The file's text without its trailing newline; undefined when it does not exist. Throws when it exists but cannot be read (permissions). */
  read(path: string): Promise<string | undefined>;
  /** Names in a directory, sorted; [] when it does not exist. */
  list(dir: string): Promise<string[]>;
  /**
   * For files behind a round trip (a board over SSH, a phone over adb): fetches
   * every file read so far in one round trip, and reads answer from that
   * snapshot until the next refresh. The sampler calls it once per tick, before
   * the probes sample, so a tick costs one round trip however many files the
   * probes read. Files on this machine have none: their reads are live.
   */
  refresh?(): Promise<void>;
}

/** What a probe is handed: the device's files and the parts of its devices.yaml entry probes use. */
export interface ProbeContext {
  deviceId: string;
  files: DeviceFiles;
  /** The probes' clock: ms since the runner was started. */
  now(): number;
  powerModel?: PowerModel;
  powerMeter?: PowerMeter;
  /** The phone's shell, on a local Android phone: for probes that ask its services (dumpsys) rather than read files. */
  shell?: AndroidShell;
}

/** The timed phase on the probes' clock (ms since the runner was started), when the runner reported it. */
export interface TimedWindow {
  start: number;
  end: number;
}

export interface ProbeReadings {
  energy: EnergyReading;
  temperature: TemperatureReading;
  throttling: ThrottlingReading;
}

/**
 * One probe for one runner process: opened before the runner starts, sampled
 * beside it at a fixed rate, stopped after it ends. One file per probe;
 * registry.ts lists them.
 */
export interface Probe<R> {
  /** First reading. Returns why the probe cannot measure on this device, or undefined when it can. */
  start(atMs: number): Promise<string | undefined>;
  /** One reading, at the sampler's rate. */
  sample(atMs: number): Promise<void>;
  /** Last reading; what was measured over the timed phase. */
  stop(atMs: number, window: TimedWindow | undefined): Promise<R>;
  /** The runner's events as they arrive, for probes that use what the runner reports (its CPU time). */
  onRunnerEvent?(event: RunnerEvent): void;
}

export type ProbeFactory<M extends keyof ProbeReadings> = (context: ProbeContext) => Probe<ProbeReadings[M]>;

/** A file's numeric content, or undefined when it is missing or not a number. */
export async function readNumber(files: DeviceFiles, path: string): Promise<number | undefined> {
  const text = await files.read(path).catch(() => undefined);
  if (text === undefined || text.trim() === '') return undefined;
  const value = Number(text.trim());
  return Number.isFinite(value) ? value : undefined;
}
