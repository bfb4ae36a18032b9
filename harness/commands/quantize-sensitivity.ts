import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { ConfigError } from '../config/errors.ts';
import type { SensitivityReport } from '../core/quantize-sensitivity.ts';
import { inspectModel } from '../onnx/model-file.ts';
import { hashModelFiles } from '../onnx/model-files.ts';
import { searchKldBudget, withMoved, type BudgetFallback } from '../quantize/kld-budget.ts';
import { kldSet } from '../quantize/kld-measurement.ts';
import { defaultOutputPath, QuantizeError, quantizeModel, resolveModelInput, type QuantizeOptions, type QuantizeTarget } from '../quantize/quantize.ts';
import { rankLayers, sensitivityPathFor, writeSensitivity } from '../quantize/sensitivity.ts';
import { log } from './common.ts';
import { print } from '../report/terminal-text.ts';
import { kldCalibration } from './quantize-calibration.ts';

export interface SensitivityFlags {
  to: QuantizeTarget;
  sensitivity?: boolean;
  budgetKld?: number;
  budgetFallback?: BudgetFallback;
  calibrate?: string;
  calibrationExamples: number;
}

const MiB = 1024 * 1024;
const formatKld = (kld: number) => kld.toExponential(3);
const formatTop1 = (top1: number) => `${(top1 * 100).toFixed(1)}%`;

/** Flag combinations --sensitivity and --budget-kld cannot work with, each named with its fix. */
export function checkSensitivityFlags(flags: SensitivityFlags): void {
  const flag = flags.budgetKld !== undefined ? '--budget-kld' : '--sensitivity';
  if (flags.budgetFallback !== undefined && flags.budgetKld === undefined)
    throw new ConfigError(
      'command line',
      '--budget-fallback',
      '--budget-fallback says where --budget-kld moves layers, and --budget-kld is not given',
      'add --budget-kld <x>, or drop --budget-fallback',
    );
  if (flags.sensitivity || flags.budgetKld !== undefined) {
    if (flags.to !== 'int4' && flags.to !== 'q4f16')
      throw new ConfigError(
        'command line',
        flag,
        `${flag} ranks layers by the KL divergence their int4 codes add, and --to ${flags.to} writes no int4 layers`,
        `use --to int4 (or --to q4f16 with --budget-fallback float)`,
      );
    if (flags.to === 'q4f16' && flags.budgetKld !== undefined && (flags.budgetFallback ?? 'int8') === 'int8')
      throw new ConfigError(
        'command line',
        '--budget-fallback',
        '--budget-kld moves layers to int8 by default, and a q4f16 model keeps no layers at int8',
        'add --budget-fallback float, or use --to int4',
      );
  }
}

/**
 * --sensitivity: ranks the layers and writes `<output>.sensitivity.json` (no variant). --budget-kld: ranks them,
 * then writes the variant with the fewest most-sensitive layers moved to int8 (or float) that meets the budget.
 */
export async function quantizeBySensitivity(options: QuantizeOptions, flags: SensitivityFlags): Promise<void> {
  checkSensitivityFlags(flags);
  const flag = flags.budgetKld !== undefined ? '--budget-kld' : '--sensitivity';
  const inputFile = resolveModelInput(options.input);
  const output = options.output ?? defaultOutputPath(inputFile, options.to);
  const calibration = await kldCalibration(inputFile, flag, flags.calibrate, flags.calibrationExamples);
  const set = await kldSet(inputFile, calibration.examples, calibration);
  const { distributions } = set.measuredOn;
  log(`measuring KL(fp32 || variant) over ${distributions} next-token distributions of ${calibration.examples.length} examples (${calibration.source})`);
  const scratch = await mkdtemp(join(tmpdir(), 'edgebench-sensitivity-'));
  try {
    const ranking = await rankLayers(options, set, scratch, (layer, index, count) =>
      log(`  [${index + 1}/${count}] ${layer.layer}: KL ${formatKld(layer.kld)}`),
    );
    const report: SensitivityReport = {
      schemaVersion: 1,
      source: { model: relative(process.cwd(), inputFile), sha256: (await hashModelFiles(inputFile, await inspectModel(inputFile))).sha256 },
      to: options.to as 'int4' | 'q4f16',
      algorithm: options.algorithm ?? 'rtn',
      blockSize: options.blockSize ?? 32,
      ...(options.embeddingBlockSize ? { embeddingBlockSize: options.embeddingBlockSize } : {}),
      symmetric: options.symmetric ?? true,
      measuredOn: set.measuredOn,
      layers: ranking,
    };
    const reportFile = sensitivityPathFor(output);
    await writeSensitivity(reportFile, report);
    print(`layers of ${relative(process.cwd(), inputFile)} ranked by the KL divergence ${options.to} adds, each quantized alone (the rest fp32):`);
    const width = Math.max(5, ...ranking.map((l) => l.layer.length));
    print(`  ${'layer'.padEnd(width)}  KL added   same top-1`);
    for (const l of ranking) print(`  ${l.layer.padEnd(width)}  ${formatKld(l.kld)}  ${formatTop1(l.top1).padStart(10)}`);
    print(`  sensitivity: ${relative(process.cwd(), reportFile)}`);
    if (flags.budgetKld === undefined) return;

    const maxKld = flags.budgetKld;
    const fallback = flags.budgetFallback ?? 'int8';
    const search = await searchKldBudget(options, ranking, set, maxKld, fallback, scratch, (t) =>
      log(`  ${t.moved.length} layer(s) at ${fallback}: KL ${formatKld(t.kld)}, ${(t.diskBytes / MiB).toFixed(2)} MiB`),
    );
    if (!search.met) {
      const { best } = search;
      throw new QuantizeError(
        `--budget-kld ${maxKld} is not met: even with ${search.tries.at(-1)!.moved.length} of ${ranking.length} layers at ${fallback}, the best measured mean KL was ${formatKld(best.kld)} (${best.moved.length} layer(s) moved, same top-1 ${formatTop1(best.top1)}); no variant was written`,
        `raise --budget-kld to at least ${formatKld(best.kld)}${fallback === 'int8' ? ', or use --budget-fallback float' : ''}, or quantize with --to int8`,
      );
    }
    const { met } = search;
    const { outputFile, manifestFile, manifest } = await quantizeModel({
      ...withMoved(options, met.moved, fallback),
      output,
      kldBudget: { maxKld, measuredKld: met.kld, top1: met.top1, fallback, moved: met.moved, measuredOn: set.measuredOn },
    });
    print(
      `${relative(process.cwd(), outputFile)}: ${manifest.precision}, ${(manifest.diskBytes / MiB).toFixed(2)} MiB (${manifest.diskBytes} bytes), mean KL ${formatKld(met.kld)} <= ${maxKld}, same top-1 ${formatTop1(met.top1)}`,
    );
    print(met.moved.length === 0 ? `  no layer moved: ${options.to} everywhere meets the budget` : `  moved to ${fallback}: ${met.moved.join(', ')}`);
    print(`  manifest: ${relative(process.cwd(), manifestFile)}`);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
