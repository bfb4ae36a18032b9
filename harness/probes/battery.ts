import { integratePower, joulesIn } from './energy-trace.ts';
import { readNumber, type DeviceFiles, type ProbeFactory } from './probe.ts';
import type { Trace } from '../core/probe-readings.ts';

export const POWER_SUPPLY_DIR = '/sys/class/power_supply';

/** The system battery: type Battery, and not a peripheral's (scope Device: a mouse, a stylus). */
async function findBattery(files: DeviceFiles): Promise<string | undefined> {
  for (const name of await files.list(POWER_SUPPLY_DIR)) {
    const dir = `${POWER_SUPPLY_DIR}/${name}`;
    if ((await files.read(`${dir}/type`).catch(() => undefined)) !== 'Battery') continue;
    if ((await files.read(`${dir}/scope`).catch(() => undefined)) === 'Device') continue;
    return dir;
  }
  return undefined;
}

/**
 * Battery discharge power from sysfs power_supply: power_now (µW) where the
 * driver has it, else current_now (µA) x voltage_now (µV), sampled and
 * integrated with the trapezoid rule. Only while discharging: on external
 * power the battery's current is not what the device draws. Android reports
 * current_now negative while discharging on some phones, so its magnitude is used.
 */
export const batteryProbe: ProbeFactory<'energy'> = ({ files }) => {
  let dir = '';
  let how: 'power' | 'current' = 'current';
  const power: Trace = [];

  async function watts(): Promise<number | undefined> {
    if (how === 'power') {
      const uw = await readNumber(files, `${dir}/power_now`);
      return uw === undefined ? undefined : Math.abs(uw) / 1e6;
    }
    const [ua, uv] = [await readNumber(files, `${dir}/current_now`), await readNumber(files, `${dir}/voltage_now`)];
    return ua === undefined || uv === undefined ? undefined : (Math.abs(ua) / 1e6) * (uv / 1e6);
  }

  async function read(atMs: number): Promise<void> {
    const value = await watts();
    if (value !== undefined) power.push([atMs, value]);
  }

  return {
    async start(atMs) {
      const found = await findBattery(files);
      if (!found) return `no battery in ${POWER_SUPPLY_DIR} on ${files.where}`;
      dir = found;
      const status = await files.read(`${dir}/status`).catch(() => undefined);
      if (status !== 'Discharging')
        return `${dir} is ${status ?? 'in an unknown state'}: on external power the battery current is not the device's draw (run on battery to measure)`;
      if ((await readNumber(files, `${dir}/power_now`)) !== undefined) how = 'power';
      else if ((await readNumber(files, `${dir}/current_now`)) === undefined || (await readNumber(files, `${dir}/voltage_now`)) === undefined)
        return `${dir} reports neither power_now nor current_now and voltage_now`;
      await read(atMs);
      return undefined;
    },
    sample: read,
    async stop(atMs, window) {
      await read(atMs);
      const status = await files.read(`${dir}/status`).catch(() => undefined);
      if (status !== 'Discharging')
        return { source: 'unavailable', reason: `${dir} stopped discharging during the runner process (now ${status ?? 'unknown'})` };
      if (power.length < 2) return { source: 'unavailable', reason: `fewer than two readings of ${dir}` };
      const trace = integratePower(power);
      const counters = how === 'power' ? 'power_now' : 'current_now x voltage_now';
      return {
        source: 'measured',
        probe: 'battery',
        joules: joulesIn(trace, window),
        method: `battery discharge ${dir}/${counters}, sampled and integrated with the trapezoid rule: the whole device's draw`,
        trace,
      };
    },
  };
};
