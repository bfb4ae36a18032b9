import { InvalidArgumentError, Option, type Command } from 'commander';
import type { FixedMetricName } from '../core/budget.ts';
import { ConfigError } from '../config/errors.ts';
import { METRICS } from '../compare/metrics.ts';
import { calibrationFile, NoiseCalibration } from '../compare/noise.ts';
import { driverFor } from '../devices/registry.ts';
import { atomicWrite } from '../files/atomic-write.ts';
import { buildPlan } from '../plan/plan.ts';
import { cellResult, type RunnerRun } from '../results/cell-result.ts';
import type { CellResult } from '../core/results.ts';
import { answerReader } from '../execute/answer-reader.ts';
import { configOptions, log } from './common.ts';
import { print } from '../report/terminal-text.ts';

/** The metrics whose run-to-run noise is worth knowing. */
const CALIBRATED: FixedMetricName[] = [
  'latency.p50',
  'latency.p90',
  'latency.p99',
  'ttft.p50',
  'decodeToken.p50',
  'decodeTokensPerSecond',
  'loadMs',
  'peakRssBytes',
  'modelRssBytes',
];

export function calibrateCommand(program: Command): void {
  configOptions(program.command('calibrate'))
    .description('Run one variant repeatedly on a device (A/A) and store its run-to-run noise, for budgets that say "at least N x the calibrated noise".')
    .addOption(new Option('--variant <name>', "variant to repeat (default: the suite's first)"))
    .addOption(new Option('--runs <n>', 'fresh runner processes, each a full set of iterations').argParser(positiveInt).default(5))
    .addOption(new Option('-o, --out <file>', 'where to write it (default: reports/calibration/<device>.json)'))
    .action(async (opts: { suite: string; devices: string; device?: string[]; variant?: string; runs: number; out?: string }) => {
      const plan = await buildPlan({ suiteFile: opts.suite, devicesFile: opts.devices, deviceIds: opts.device });
      const variant = opts.variant ? plan.variants.find((v) => v.variant.name === opts.variant) : plan.variants[0];
      if (!variant)
        throw new ConfigError(
          'command line',
          '--variant',
          `no variant "${opts.variant}" in ${opts.suite}`,
          `use one of: ${plan.variants.map((v) => v.variant.name).join(', ')}`,
        );
      if (plan.devices.length !== 1 && !opts.out) log(`calibrating ${plan.devices.length} devices one after another`);
      for (const device of plan.devices) {
        const runs: RunnerRun[] = [];
        let cell: CellResult | undefined;
        for (let run = 1; run <= opts.runs; run++) {
          log(`[${run}/${opts.runs}] ${device.id} / ${variant.variant.name} ...`);
          const job = {
            modelPath: variant.modelPath,
            task: plan.task.specFor?.(variant) ?? plan.task.spec,
            warmup: plan.suite.warmup,
            iterations: plan.suite.iterations,
            runtime: plan.suite.runtime,
            examples: variant.examples,
          };
          const startedAt = new Date();
          const outcome = await driverFor(device).runCell(device, job, { timeoutMs: plan.suite.timeoutSeconds * 1000 });
          runs.push({ startedAt, finishedAt: new Date(), outcome });
          cell = cellResult({ deviceId: device.id, variant: variant.variant, runs, timeoutMs: plan.suite.timeoutSeconds * 1000, answerOf: answerReader(plan) });
          if (cell.status !== 'ok')
            throw new ConfigError(
              device.id,
              undefined,
              `calibration run ${run} failed: ${cell.error?.code}: ${cell.error?.message}`,
              'fix the cell first: edgebench run shows the same error',
            );
        }
        await driverFor(device).release?.(device);
        const values = new Map(
          CALIBRATED.flatMap((metric) => {
            const perRepeat = METRICS[metric].read(cell!)?.perRepeat;
            return perRepeat ? [[metric, [...perRepeat.values()]] as const] : [];
          }),
        );
        const relativeNoise = Object.fromEntries([...values].map(([metric, series]) => [metric, relativeStandardDeviation(series)]));
        const calibration = NoiseCalibration.parse({
          schemaVersion: 1,
          deviceId: device.id,
          createdAt: new Date().toISOString(),
          variant: variant.variant.name,
          runs: opts.runs,
          relativeNoise,
          method: `sample standard deviation of each metric over ${opts.runs} fresh runner processes, divided by its mean`,
        });
        const file = opts.out ?? calibrationFile(device.id);
        await atomicWrite(file, `${JSON.stringify(calibration, null, 2)}\n`);
        print(
          `${file}: ${Object.entries(relativeNoise)
            .map(([m, v]) => `${m} ${(v * 100).toFixed(2)}%`)
            .join(', ')}`,
        );
      }
    });
}

/** Coefficient of variation with the n - 1 denominator. */
export function relativeStandardDeviation(values: readonly number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / Math.max(1, values.length - 1);
  return mean !== 0 ? Math.sqrt(variance) / Math.abs(mean) : 0;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 2) throw new InvalidArgumentError('use a whole number of at least 2');
  return n;
}
