import { cpuSensors, temperatureProbe, type Sensor, type SensorDiscovery } from './temperature.ts';

export const HWMON_DIR = '/sys/class/hwmon';

/** hwmon chips: hwmon<N>/name (coretemp, k10temp, cpu_thermal, nvme ...), temp<i>_input in millidegrees Celsius, temp<i>_label where the driver names it. */
export const hwmonSensors: SensorDiscovery = async (files) => {
  const chips = (await files.list(HWMON_DIR)).filter((name) => /^hwmon\d+$/.test(name));
  if (chips.length === 0) return `no ${HWMON_DIR}/hwmon* on ${files.where}`;
  const sensors: Sensor[] = [];
  for (const chip of chips) {
    const dir = `${HWMON_DIR}/${chip}`;
    const name = (await files.read(`${dir}/name`).catch(() => undefined)) ?? chip;
    for (const input of (await files.list(dir)).filter((file) => /^temp\d+_input$/.test(file))) {
      const label = await files.read(`${dir}/${input.replace('_input', '_label')}`).catch(() => undefined);
      sensors.push({ label: `${name}${label ? ` ${label}` : ''} (${chip}/${input})`, path: `${dir}/${input}`, divisor: 1000 });
    }
  }
  if (sensors.length === 0) return `no temperature inputs among ${chips.join(', ')} in ${HWMON_DIR} on ${files.where}`;
  return cpuSensors(sensors);
};

export const hwmonProbe = temperatureProbe('hwmon', `hwmon ${HWMON_DIR}:`, hwmonSensors);
