import type { z } from 'zod';
import type { AppiumDeviceSpec } from '../core/device-spec.ts';
import { DEFAULT_PROBE_ROOT } from '../core/probe-options.ts';
import { adbShell, type AndroidShell } from '../devices/appium/android.ts';
import { serverName } from '../devices/appium/capabilities.ts';
import { boardConnection } from '../devices/ssh.ts';
import type { SshSpec } from '../devices/ssh/connection.ts';
import { shellWord } from '../devices/ssh/quote.ts';
import type { DeviceFiles } from './probe.ts';
import { RemoteReader } from './remote-reader.ts';
import { READER_SCRIPT, snapshotFiles } from './snapshot-files.ts';

type AppiumSpec = z.infer<typeof AppiumDeviceSpec>;

/** How long one read of the board's files may take before the sample is given up (the sampler skips ticks meanwhile). */
const BOARD_READ_EXTRA_SECONDS = 5;

/** One per board or phone for the whole run, so what the first cell discovered is fetched in one round trip before the next. */
const opened = new Map<string, DeviceFiles>();
const onceFor = (spec: { id: string }, open: () => DeviceFiles): DeviceFiles => {
  const key = JSON.stringify(spec);
  let files = opened.get(key);
  if (!files) opened.set(key, (files = open()));
  return files;
};

/**
 * An SSH board's files, read through the driver's connection (its
 * ControlMaster: no handshake per read, and release() at the end of the run
 * closes it, ending the reader with it). Reads go to one long-lived reader
 * script on the board (remote-reader.ts); directory listings, only needed
 * while probes discover sensors, are one command each. probes.root is a
 * directory on the board.
 */
export function boardFiles(spec: SshSpec): DeviceFiles {
  return onceFor(spec, () => openBoardFiles(spec));
}

function openBoardFiles(spec: SshSpec): DeviceFiles {
  const root = spec.probes?.root ?? DEFAULT_PROBE_ROOT;
  const where = `board ${spec.id} over SSH (${spec.host})${root === DEFAULT_PROBE_ROOT ? '' : `, files under ${root}`}`;
  const timeoutMs = (spec.connectTimeoutSeconds + BOARD_READ_EXTRA_SECONDS) * 1000;
  const end = () => reader.close();
  const reader: RemoteReader = new RemoteReader(
    () => {
      const connection = boardConnection(spec);
      // release() closes the master; an open session would keep it running.
      connection.onClose(end);
      return connection.commandFor(`sh -c ${shellWord(READER_SCRIPT)} sh`);
    },
    where,
    timeoutMs,
    (stderr) => boardConnection(spec).problemOf(stderr),
  );
  return snapshotFiles(where, root, async (script, args) => {
    // The driver's connection of the moment: after release() a later run opens a new one.
    const connection = boardConnection(spec);
    // The script is a constant; only the paths vary, each one quoted word of its positional arguments.
    const result = await connection.exec(`sh -c ${shellWord(script)} sh ${args.map(shellWord).join(' ')}`, { timeoutMs });
    if (result.exitCode === 0) return result.stdout;
    if (result.timedOut) throw new Error(`${where} did not answer a read of its sensors within ${timeoutMs / 1000} s`);
    if (result.exitCode === 255) throw new Error((await connection.problemOf(result.stderr)) ?? `${where}: ssh failed (${result.stderr.trim() || 'no message'})`);
    throw new Error(`${where}: reading its sensors failed (${result.stderr.trim().split('\n').at(-1) || `exit status ${result.exitCode}`}): the login needs a POSIX sh`);
  }, (paths) => reader.read(paths));
}

/**
 * A phone's kernel files through its shell (adb's shell user): the sysfs
 * probes (battery, thermal zones, cpufreq) then read the phone as they read
 * this machine. Each round trip is one `sh -c` with the paths as positional
 * arguments; what the shell user may not read counts as unreadable or
 * missing, and the probe says so.
 */
export function phoneFiles(shell: AndroidShell, where: string, root: string): DeviceFiles {
  return snapshotFiles(where, root, (script, args) => shell('sh', ['-c', shellWord(script), 'sh', ...args.map(shellWord)]));
}

/**
 * The shell the probes use on an Appium device, or why there is none. A local
 * phone is reached with `adb -s <udid> shell`, not through the Appium session:
 * the probes start before the cell opens its session and the thermal gate
 * reads the phone between cells, when no session exists; adb is what Appium's
 * mobile: shell runs underneath anyway, so nothing is lost but a hop. A
 * remote farm's phone is on another machine's USB: no adb reaches it from
 * here, and farms that offer mobile: shell at all offer it only inside a session.
 */
export function appiumShell(spec: AppiumSpec): AndroidShell | string {
  if (spec.platform === 'ios') return 'an iPhone gives no shell that can read its sensors, so its energy and temperatures are not sampled';
  if (spec.platform !== 'android') return `the browser runs on a machine behind ${serverName(spec)}: edgebench cannot read its sensors`;
  if (spec.server !== 'local') return `the phone is on a device farm behind ${serverName(spec)}: its USB is not this machine's, so adb cannot reach it, and farms give no shell outside a session; its sensors are not sampled`;
  const udid = spec.capabilities['appium:udid'];
  if (typeof udid !== 'string') return 'its sensors are read over adb, which needs the phone\'s serial: set capabilities."appium:udid" in devices.yaml (adb devices lists it)';
  return adbShell(udid);
}

/** An Appium device's files for the probes: a local phone's over adb, or why they cannot be read. */
export function appiumFiles(spec: AppiumSpec): DeviceFiles | string {
  const shell = appiumShell(spec);
  if (typeof shell === 'string') return shell;
  const root = spec.probes?.root ?? DEFAULT_PROBE_ROOT;
  return onceFor(spec, () => phoneFiles(shell, `phone ${spec.id} over adb (${String(spec.capabilities['appium:udid'])})${root === DEFAULT_PROBE_ROOT ? '' : `, files under ${root}`}`, root));
}
