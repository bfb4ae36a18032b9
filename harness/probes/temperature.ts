import type { DeviceFiles, ProbeFactory } from './probe.ts';
import type { Trace } from '../core/probe-readings.ts';

/** A temperature file and what it is: values are read / `divisor` °C (sysfs: millidegrees). */
export interface Sensor {
  label: string;
  path: string;
  divisor: number;
}

/** Sensor names that are the CPU (or the SoC it is part of) on x86 desktops and laptops and on ARM boards. */
const CPU_SENSOR = /cpu|x86_pkg|soc|core|tcpu|package|k10temp|tctl|tdie|zenpower/i;
/** Readings outside this range are a sensor reporting an error code, not a temperature. */
const PLAUSIBLE_C = { min: -40, max: 150 };

/** The CPU's sensors when any is named as one; every sensor otherwise (the method names which). */
export function cpuSensors(sensors: Sensor[]): Sensor[] {
  const cpu = sensors.filter((s) => CPU_SENSOR.test(s.label));
  return cpu.length > 0 ? cpu : sensors;
}

/** The hottest plausible reading among the sensors, or undefined when none reads. */
export async function hottest(files: DeviceFiles, sensors: Sensor[]): Promise<{ celsius: number; sensor: string } | undefined> {
  let best: { celsius: number; sensor: string } | undefined;
  for (const sensor of sensors) {
    const text = await files.read(sensor.path).catch(() => undefined);
    const celsius = Number(text) / sensor.divisor;
    if (text === undefined || text.trim() === '' || !Number.isFinite(celsius) || celsius < PLAUSIBLE_C.min || celsius > PLAUSIBLE_C.max) continue;
    if (!best || celsius > best.celsius) best = { celsius, sensor: sensor.label };
  }
  return best;
}

/** Finds a device's sensors, or says why it has none. */
export type SensorDiscovery = (files: DeviceFiles) => Promise<Sensor[] | string>;

/** One temperature reading now, for the thermal gate. */
export async function readOnce(files: DeviceFiles, discover: SensorDiscovery): Promise<{ celsius: number; sensor: string } | { unavailable: string }> {
  const sensors = await discover(files);
  if (typeof sensors === 'string') return { unavailable: sensors };
  return (await hottest(files, sensors)) ?? { unavailable: `none of ${sensors.map((s) => s.label).join(', ')} gave a reading` };
}

/**
 * A probe sampling the hottest of a device's CPU sensors. The trace keeps each
 * sample's value; the sensor named in the results is the one hottest most often.
 */
export function temperatureProbe(name: string, source: string, discover: SensorDiscovery): ProbeFactory<'temperature'> {
  return ({ files }) => {
    let sensors: Sensor[] = [];
    const trace: Trace = [];
    const hottestCount = new Map<string, number>();
    async function read(atMs: number): Promise<void> {
      const reading = await hottest(files, sensors);
      if (!reading) return;
      trace.push([atMs, reading.celsius]);
      hottestCount.set(reading.sensor, (hottestCount.get(reading.sensor) ?? 0) + 1);
    }
    return {
      async start(atMs) {
        const found = await discover(files);
        if (typeof found === 'string') return found;
        sensors = found;
        await read(atMs);
        return trace.length > 0 ? undefined : `none of ${found.map((s) => s.label).join(', ')} gave a reading on ${files.where}`;
      },
      sample: read,
      async stop(atMs) {
        await read(atMs);
        const sensor = [...hottestCount].sort((a, b) => b[1] - a[1])[0]![0];
        const among = sensors.length > 1 ? `, the hottest of ${sensors.map((s) => s.label).join(', ')}` : '';
        return { source: 'measured', probe: name, sensor, method: `${source} ${sensor}${among}`, trace };
      },
    };
  };
}
