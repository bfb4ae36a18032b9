import { cpuSensors, temperatureProbe, type Sensor, type SensorDiscovery } from './temperature.ts';

export const THERMAL_DIR = '/sys/class/thermal';

/** Linux thermal zones: thermal_zone<N>/type names the sensor, thermal_zone<N>/temp reads millidegrees Celsius. */
export const thermalZoneSensors: SensorDiscovery = async (files) => {
  const zones = (await files.list(THERMAL_DIR)).filter((name) => /^thermal_zone\d+$/.test(name));
  if (zones.length === 0) return `no ${THERMAL_DIR}/thermal_zone* on ${files.where}`;
  const sensors: Sensor[] = [];
  for (const zone of zones) {
    const type = (await files.read(`${THERMAL_DIR}/${zone}/type`).catch(() => undefined)) ?? zone;
    sensors.push({ label: `${type} (${zone})`, path: `${THERMAL_DIR}/${zone}/temp`, divisor: 1000 });
  }
  return cpuSensors(sensors);
};

export const thermalZonesProbe = temperatureProbe('thermal-zones', `thermal zone ${THERMAL_DIR}:`, thermalZoneSensors);
