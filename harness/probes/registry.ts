import type { DeviceSpec } from '../core/device-spec.ts';
import { DEFAULT_PROBE_ROOT } from '../core/probe-options.ts';
import { batteryProbe } from './battery.ts';
import { cpufreqProbe } from './cpufreq.ts';
import { cpuTimeEstimateProbe } from './cpu-time-estimate.ts';
import { externalMeterProbe } from './external-meter.ts';
import { hostFiles } from './files.ts';
import { hwmonProbe, hwmonSensors } from './hwmon.ts';
import { adbShell, type AndroidShell } from '../devices/appium/android.ts';
import { placementOf } from '../devices/registry.ts';
import { androidThermalProbe } from './android.ts';
import type { DeviceFiles, ProbeFactory, ProbeReadings } from './probe.ts';
import { raplProbe } from './rapl.ts';
import { adbPhoneFiles, boardFiles } from './remote-files.ts';
import { readOnce } from './temperature.ts';
import { thermalZoneSensors, thermalZonesProbe } from './thermal-zones.ts';

interface ProbeEntry<M extends keyof ProbeReadings> {
  /** How the probe is named in reasons: "RAPL: no /sys/class/powercap/...". */
  label: string;
  measures: M;
  /** Reads the device's files (so it needs them reachable); otherwise it uses devices.yaml or the runner's own report. */
  readsFiles: boolean;
  /** Needs the sampler: off when probes.rateHz is 0. */
  sampled: boolean;
  /** Runs commands on an Android phone: skipped, without a reason, on devices that are not one. */
  needsShell?: true;
  open: ProbeFactory<M>;
}

/** Every probe, by name. */
export const probes = {
  'external-meter': { label: 'external meter', measures: 'energy', readsFiles: false, sampled: false, open: externalMeterProbe },
  rapl: { label: 'RAPL', measures: 'energy', readsFiles: true, sampled: true, open: raplProbe },
  battery: { label: 'battery', measures: 'energy', readsFiles: true, sampled: true, open: batteryProbe },
  'cpu-time-estimate': { label: 'estimate', measures: 'energy', readsFiles: false, sampled: false, open: cpuTimeEstimateProbe },
  'thermal-zones': { label: 'thermal zones', measures: 'temperature', readsFiles: true, sampled: true, open: thermalZonesProbe },
  hwmon: { label: 'hwmon', measures: 'temperature', readsFiles: true, sampled: true, open: hwmonProbe },
  'android-thermal': {
    label: 'Android thermal service',
    measures: 'temperature',
    readsFiles: false,
    sampled: true,
    needsShell: true,
    open: (context) => androidThermalProbe(context.shell!)(context),
  },
  cpufreq: { label: 'cpufreq', measures: 'throttling', readsFiles: true, sampled: true, open: cpufreqProbe },
} as const satisfies Record<string, ProbeEntry<'energy'> | ProbeEntry<'temperature'> | ProbeEntry<'throttling'>>;

export type ProbeName = keyof typeof probes;

/**
 * Per measure, the probes tried in turn; the first that can measure on the
 * device is used. Measured energy comes before the estimate; a meter on the
 * whole device before the CPU package's counter.
 */
export const PROBE_ORDER = {
  energy: ['external-meter', 'rapl', 'battery', 'cpu-time-estimate'],
  // A phone's thermal service last: dumpsys costs a round trip of its own each sample, and is needed only where the shell user may not read the thermal zones.
  temperature: ['thermal-zones', 'hwmon', 'android-thermal'],
  throttling: ['cpufreq'],
} as const satisfies { [M in keyof ProbeReadings]: readonly ProbeName[] };

/**
 * The device's files for the probes, where its placement says its sensors
 * are (harness/devices/<kind>/placement.ts), or why they cannot be read from here.
 */
export function filesFor(device: DeviceSpec): DeviceFiles | string {
  const source = placementOf(device).sensors(device);
  const root = device.probes?.root ?? DEFAULT_PROBE_ROOT;
  switch (source.on) {
    case 'host':
      return hostFiles(root);
    case 'ssh-board':
      return boardFiles(source.board);
    case 'adb-phone':
      return adbPhoneFiles(device, source.serial);
    case 'none':
      return source.reason;
    default:
      return unreachable(source);
  }
}

/** A shell on the device for probes that run commands there (a local Android phone's, over adb); undefined for every other device. */
export function shellFor(device: DeviceSpec): AndroidShell | undefined {
  const source = placementOf(device).sensors(device);
  return source.on === 'adb-phone' ? adbShell(source.serial) : undefined;
}

const unreachable = (source: never): never => {
  throw new Error(`no probe files for sensors on ${JSON.stringify(source)}`);
};

/** The device's hottest CPU sensor now (thermal zones, else hwmon), for the thermal gate; or why there is none. */
export async function temperatureNow(files: DeviceFiles | string): Promise<{ celsius: number; sensor: string } | { unavailable: string }> {
  if (typeof files === 'string') return { unavailable: files };
  // Now, not a sample's snapshot: one round trip for every file read before on a board or phone.
  await files.refresh?.().catch(() => undefined);
  const reasons: string[] = [];
  for (const [label, discover] of [
    ['thermal zones', thermalZoneSensors],
    ['hwmon', hwmonSensors],
  ] as const) {
    const reading = await readOnce(files, discover).catch((error: Error) => ({ unavailable: error.message }));
    if (!('unavailable' in reading)) return reading;
    reasons.push(`${label}: ${reading.unavailable}`);
  }
  return { unavailable: reasons.join('; ') };
}
