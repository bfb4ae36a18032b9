import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { MetricName } from '../core/budget.ts';
import { ConfigError } from '../config/errors.ts';
import { FILE_LIMITS, readBoundedFile } from '../config/read-bounded-file.ts';

/**
 * A device's calibrated noise: from repeated runs of the same variant (A/A),
 * the relative spread of each metric between runs. Written by edgebench calibrate.
 */
export const NoiseCalibration = z.strictObject({
  schemaVersion: z.literal(1),
  deviceId: z.string(),
  createdAt: z.iso.datetime(),
  variant: z.string(),
  runs: z.number().int().min(2),
  /** Metric -> relative run-to-run standard deviation (0.01 = 1%). */
  relativeNoise: z.partialRecord(MetricName, z.number().nonnegative()),
  method: z.string(),
});
export type NoiseCalibration = z.infer<typeof NoiseCalibration>;

export const CALIBRATION_DIR = join('reports', 'calibration');
export const calibrationFile = (deviceId: string) => join(CALIBRATION_DIR, `${deviceId}.json`);

/** Noise lookup for compare: an explicit file, or reports/calibration/<device>.json for each device that has one. */
export async function loadNoise(explicitFile: string | undefined, deviceIds: string[]): Promise<(deviceId: string, metric: MetricName) => number | undefined> {
  const files = explicitFile ? [explicitFile] : deviceIds.map(calibrationFile).filter((f) => existsSync(f));
  const byDevice = new Map<string, NoiseCalibration>();
  for (const file of files) {
    try {
      const calibration = NoiseCalibration.parse(
        JSON.parse((await readBoundedFile(file, { what: 'noise calibration', maxBytes: FILE_LIMITS.manifest })).toString('utf8')),
      );
      byDevice.set(calibration.deviceId, calibration);
    } catch (error) {
      throw new ConfigError(file, undefined, `not a noise calibration (${(error as Error).message.split('\n')[0]})`, 'run edgebench calibrate again');
    }
  }
  return (deviceId, metric) => byDevice.get(deviceId)?.relativeNoise[metric];
}
