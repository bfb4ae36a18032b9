import { parseBattery, parseThermalService, type AndroidShell } from '../devices/appium/android.ts';
import type { ProbeFactory } from './probe.ts';
import type { Trace } from '../core/probe-readings.ts';

/**
 * A phone's temperature from its thermal service (`dumpsys thermalservice`,
 * Android 10+): the hottest CPU temperature the thermal HAL reports (its skin
 * or battery sensor when it has no CPU one), else the battery temperature
 * from `dumpsys battery` on a phone without the service. The thermal status (none, light,
 * moderate, ...) at each sample goes into the method, since it is what makes
 * Android throttle.
 */
export function androidThermalProbe(shell: AndroidShell): ProbeFactory<'temperature'> {
  return () => {
    const trace: Trace = [];
    let sensor = '';
    const statuses = new Set<string>();
    async function read(atMs: number): Promise<string | undefined> {
      // An older phone has no thermal service; its battery temperature is read instead.
      const thermal = await shell('dumpsys', ['thermalservice'])
        .then(parseThermalService, () => undefined)
        .catch(() => undefined);
      if (thermal) statuses.add(thermal.statusName);
      // The CPU's sensors where the HAL has them; its skin or battery sensor otherwise.
      for (const type of ['cpu', 'skin', 'battery']) {
        const sensors = thermal?.temperatures.filter((t) => t.type === type) ?? [];
        if (sensors.length === 0) continue;
        const hottest = sensors.reduce((a, b) => (b.celsius > a.celsius ? b : a));
        sensor = `thermal HAL ${type} sensors (hottest: ${hottest.name})`;
        trace.push([atMs, hottest.celsius]);
        return undefined;
      }
      try {
        const battery = parseBattery(await shell('dumpsys', ['battery']));
        sensor = 'battery temperature (dumpsys battery)';
        trace.push([atMs, battery.temperatureC]);
        return undefined;
      } catch (error) {
        return `neither dumpsys thermalservice nor dumpsys battery gave a temperature: ${(error as Error).message}`;
      }
    }
    return {
      start: read,
      async sample(atMs) {
        await read(atMs);
      },
      async stop(atMs) {
        await read(atMs);
        return {
          source: 'measured',
          probe: 'android-thermal',
          sensor,
          method: `${sensor} on the phone; thermal status during the process: ${[...statuses].join(', ') || 'not reported'}`,
          trace,
        };
      },
    };
  };
}
