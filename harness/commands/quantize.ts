import { relative } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { ConfigError } from '../config/errors.ts';
import { Int4Algorithm } from '../core/quantization-settings.ts';
import { quantizeModel, resolveModelInput, type EmbeddingMode, type QuantizeOptions, type QuantizeTarget } from '../quantize/quantize.ts';
import { print } from '../report/terminal-text.ts';
import { suiteCalibration } from './quantize-calibration.ts';
import { quantizeBySensitivity, type SensitivityFlags } from './quantize-sensitivity.ts';

interface QuantizeFlags extends SensitivityFlags {
  to: QuantizeTarget;
  keepIoTypes?: boolean;
  algorithm: Int4Algorithm;
  embeddings: EmbeddingMode;
  output?: string;
  method?: 'dynamic' | 'qdq' | 'static';
  calibration: 'minmax' | 'percentile';
  percentile: number;
  blockSize: '32' | '64' | '128';
  embeddingBlockSize?: '16' | '32' | '64' | '128';
  asymmetric?: boolean;
  accuracyLevel: '0' | '1' | '2' | '3' | '4';
  exclude?: string[];
  keepInt8?: string[];
}

const MiB = 1024 * 1024;

export function quantizeCommand(program: Command): void {
  program
    .command('quantize')
    .description('Write an int8, int4, fp16 or q4f16 variant of an fp32 ONNX model, with a manifest of its hashes and settings.')
    .argument('<model>', 'fp32 .onnx file, or a model folder holding onnx/model.onnx')
    .addOption(new Option('--to <precision>', 'target precision').choices(['int8', 'int4', 'fp16', 'q4f16']).makeOptionMandatory())
    .addOption(
      new Option(
        '-o, --output <file>',
        'output .onnx file (default, beside the input, as transformers.js names them: model_quantized.onnx, model_q4.onnx, model_fp16.onnx, model_q4f16.onnx)',
      ),
    )
    .addOption(new Option('--keep-io-types', 'fp16 / q4f16: keep float32 graph inputs and outputs (default: float16, as transformers.js)'))
    .addOption(
      new Option('--embeddings <mode>', 'embedding tables (Gather over a constant): same bits as the layers, int8 in an int4 model, or float')
        .choices(['same', 'int8', 'float'])
        .default('same'),
    )
    .addOption(
      new Option(
        '--method <method>',
        'int8 method: dynamic (MatMulInteger), qdq (weight DequantizeLinear), static (calibrated activations); default dynamic, the fastest measured',
      ).choices(['dynamic', 'qdq', 'static']),
    )
    .addOption(
      new Option(
        '--algorithm <name>',
        'int4 / q4f16 codes: rtn (round to nearest), gptq (error compensation with the Hessian of calibration activations), gptaq (gptq with each layer matched to the float model: the least KL at the same size) or awq (activation-aware input-channel scales); gptq, gptaq and awq need --calibrate',
      )
        .choices(Int4Algorithm.options)
        .default('rtn'),
    )
    .addOption(new Option('--calibrate <suite>', "static int8, gptq, gptaq and awq: calibrate on this suite's dataset"))
    .addOption(new Option('--calibration <method>', 'activation range from calibration').choices(['minmax', 'percentile']).default('minmax'))
    .addOption(new Option('--percentile <p>', 'percentile calibration: keep the p-th percentile range').argParser(Number).default(99.99))
    .addOption(new Option('--calibration-examples <n>', 'dataset examples used for calibration').argParser(Number).default(100))
    .addOption(new Option('--block-size <n>', 'int4 block size along K').choices(['32', '64', '128']).default('32'))
    .addOption(
      new Option('--embedding-block-size <n>', 'int4 embedding tables: block size along the hidden dimension (default: --block-size)').choices([
        '16',
        '32',
        '64',
        '128',
      ]),
    )
    .addOption(new Option('--asymmetric', 'int4 with a zero point per block (default: symmetric)'))
    .addOption(
      new Option('--accuracy-level <n>', 'int4 MatMulNBits accuracy_level: 0 computes in float32, 4 in int8').choices(['0', '1', '2', '3', '4']).default('4'),
    )
    .addOption(new Option('--exclude <pattern...>', 'keep layers matching these name patterns (* wildcard) in float'))
    .addOption(
      new Option('--keep-int8 <pattern...>', 'int4: quantize layers (or embedding tables) matching these patterns to int8 instead (e.g. the output head)'),
    )
    .addOption(
      new Option(
        '--sensitivity',
        'int4 / q4f16: quantize one layer at a time, rank the layers by the next-token KL divergence each adds against fp32, and write <output>.sensitivity.json (no variant)',
      ),
    )
    .addOption(
      new Option(
        '--budget-kld <x>',
        'int4 / q4f16: move the most sensitive layers to int8 (or float) one at a time until the measured mean KL against fp32 is at most x nats',
      ).argParser(positiveNumber),
    )
    .addOption(new Option('--budget-fallback <precision>', '--budget-kld: where moved layers go (default int8)').choices(['int8', 'float']))
    .action(async (model: string, flags: QuantizeFlags) => {
      const options: QuantizeOptions = {
        input: model,
        output: flags.output,
        to: flags.to,
        keepIoTypes: flags.keepIoTypes,
        embeddings: flags.embeddings,
        int8Method: flags.method,
        blockSize: Number(flags.blockSize) as 32 | 64 | 128,
        ...(flags.embeddingBlockSize ? { embeddingBlockSize: Number(flags.embeddingBlockSize) as 16 | 32 | 64 | 128 } : {}),
        symmetric: !flags.asymmetric,
        accuracyLevel: Number(flags.accuracyLevel) as 0 | 1 | 2 | 3 | 4,
        exclude: flags.exclude,
        keepInt8: flags.keepInt8,
      };
      if (flags.embeddingBlockSize && !((flags.to === 'int4' || flags.to === 'q4f16') && flags.embeddings === 'same'))
        throw new ConfigError(
          'command line',
          '--embedding-block-size',
          `sets the blocks of int4 embedding tables, and this variant has none (--to ${flags.to} --embeddings ${flags.embeddings})`,
          'drop --embedding-block-size, or quantize to int4 or q4f16 with the tables at the same bits (--embeddings same)',
        );
      if (flags.algorithm !== 'rtn') {
        if (!flags.calibrate)
          throw new ConfigError(
            'command line',
            '--calibrate',
            `--algorithm ${flags.algorithm} needs calibration activations`,
            'add --calibrate <suite.yaml>; its dataset is used',
          );
        const { examples, source, sha256 } = await suiteCalibration(resolveModelInput(model), flags.calibrate, flags.calibrationExamples);
        options.algorithm = flags.algorithm;
        options.int4Calibration = { examples, source, sha256 };
      }
      if (flags.method === 'static') {
        if (!flags.calibrate)
          throw new ConfigError('command line', '--calibrate', 'static int8 needs a calibration set', 'add --calibrate <suite.yaml>; its dataset is used');
        const { examples, source, sha256 } = await suiteCalibration(resolveModelInput(model), flags.calibrate, flags.calibrationExamples);
        options.calibration = { method: flags.calibration, percentile: flags.percentile, examples, dataset: source, datasetSha256: sha256 };
      }
      if (flags.sensitivity || flags.budgetKld !== undefined || flags.budgetFallback !== undefined) return quantizeBySensitivity(options, flags);
      const { outputFile, manifestFile, manifest } = await quantizeModel(options);
      const { layers } = manifest;
      print(
        `${relative(process.cwd(), outputFile)}: ${manifest.precision}, ${(manifest.diskBytes / MiB).toFixed(2)} MiB (${((manifest.diskBytes / manifest.source.diskBytes) * 100).toFixed(1)}% of the source's ${(manifest.source.diskBytes / MiB).toFixed(2)} MiB)`,
      );
      print(
        `  layers: ${layers.int4.length} int4, ${layers.int8.length} int8, ${layers.keptFloat.length} kept in float; ${layers.embeddings?.length ?? 0} embedding table(s) quantized, ${layers.tiedHeads?.length ?? 0} tied head(s) sharing them`,
      );
      print(`  manifest: ${relative(process.cwd(), manifestFile)}  sha256 ${manifest.sha256}`);
    });
}

function positiveNumber(value: string): number {
  const x = Number(value);
  if (!(Number.isFinite(x) && x > 0)) throw new InvalidArgumentError('a KL divergence in nats greater than 0, e.g. 0.02');
  return x;
}
