import type { DeviceSpec } from '../core/device-spec.ts';
import { DEFAULT_PROBE_ROOT } from '../core/probe-options.ts';
import { adbShell, type AndroidShell } from '../devices/appium/android.ts';
import { boardConnection } from '../devices/ssh.ts';
import type { SshSpec } from '../devices/ssh/connection.ts';
import { shellWord } from '../devices/ssh/quote.ts';
import type { DeviceFiles } from './probe.ts';
import { RemoteReader } from './remote-reader.ts';
import { READER_SCRIPT, snapshotFiles } from './snapshot-files.ts';

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
  return snapshotFiles(
    where,
    root,
    async (script, args) => {
      // The driver's connection of the moment: after release() a later run opens a new one.
      const connection = boardConnection(spec);
      // The script is a constant; only the paths vary, each one quoted word of its positional arguments.
      const result = await connection.exec(`sh -c ${shellWord(script)} sh ${args.map(shellWord).join(' ')}`, { timeoutMs });
      if (result.exitCode === 0) return result.stdout;
      if (result.timedOut) throw new Error(`${where} did not answer a read of its sensors within ${timeoutMs / 1000} s`);
      if (result.exitCode === 255)
        throw new Error((await connection.problemOf(result.stderr)) ?? `${where}: ssh failed (${result.stderr.trim() || 'no message'})`);
      throw new Error(
        `${where}: reading its sensors failed (${result.stderr.trim().split('\n').at(-1) || `exit status ${result.exitCode}`}): the login needs a POSIX sh`,
      );
    },
    (paths) => reader.read(paths),
  );
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
 * A local phone's files over `adb -s <serial> shell` (where its placement
 * says its sensors are), one reader for the whole run.
 */
export function adbPhoneFiles(spec: DeviceSpec, serial: string): DeviceFiles {
  const root = spec.probes?.root ?? DEFAULT_PROBE_ROOT;
  return onceFor(spec, () =>
    phoneFiles(adbShell(serial), `phone ${spec.id} over adb (${serial})${root === DEFAULT_PROBE_ROOT ? '' : `, files under ${root}`}`, root),
  );
}
