import { dirname, relative, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { ConfigError } from '../config/errors.ts';
import { loadSuite } from '../config/load-suite.ts';
import { inspectModel } from '../onnx/model-file.ts';
import { loadDataset } from '../plan/dataset.ts';
import { feedsForExample } from '../tasks/feeds.ts';
import { quantizeModel, resolveModelInput, type EmbeddingMode, type Int4Algorithm, type QuantizeOptions, type QuantizeTarget } from '../quantize/quantize.ts';
import { print } from '../report/terminal-text.ts';

interface QuantizeFlags {
  to: QuantizeTarget;
  keepIoTypes?: boolean;
  algorithm: Int4Algorithm;
  embeddings: EmbeddingMode;
  output?: string;
  method?: 'dynamic' | 'qdq' | 'static';
  calibrate?: string;
  calibration: 'minmax' | 'percentile';
  percentile: number;
  calibrationExamples: number;
  blockSize: '32' | '64' | '128';
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
        'int4 / q4f16 codes: rtn (round to nearest), gptq (error compensation with the Hessian of calibration activations) or awq (activation-aware input-channel scales); gptq and awq need --calibrate',
      )
        .choices(['rtn', 'gptq', 'awq'])
        .default('rtn'),
    )
    .addOption(new Option('--calibrate <suite>', "static int8, gptq and awq: calibrate on this suite's dataset"))
    .addOption(new Option('--calibration <method>', 'activation range from calibration').choices(['minmax', 'percentile']).default('minmax'))
    .addOption(new Option('--percentile <p>', 'percentile calibration: keep the p-th percentile range').argParser(Number).default(99.99))
    .addOption(new Option('--calibration-examples <n>', 'dataset examples used for calibration').argParser(Number).default(100))
    .addOption(new Option('--block-size <n>', 'int4 block size along K').choices(['32', '64', '128']).default('32'))
    .addOption(new Option('--asymmetric', 'int4 with a zero point per block (default: symmetric)'))
    .addOption(
      new Option('--accuracy-level <n>', 'int4 MatMulNBits accuracy_level: 0 computes in float32, 4 in int8').choices(['0', '1', '2', '3', '4']).default('4'),
    )
    .addOption(new Option('--exclude <pattern...>', 'keep layers matching these name patterns (* wildcard) in float'))
    .addOption(new Option('--keep-int8 <pattern...>', 'int4: quantize layers matching these patterns to int8 instead (e.g. the output head)'))
    .action(async (model: string, flags: QuantizeFlags) => {
      const options: QuantizeOptions = {
        input: model,
        output: flags.output,
        to: flags.to,
        keepIoTypes: flags.keepIoTypes,
        embeddings: flags.embeddings,
        int8Method: flags.method,
        blockSize: Number(flags.blockSize) as 32 | 64 | 128,
        symmetric: !flags.asymmetric,
        accuracyLevel: Number(flags.accuracyLevel) as 0 | 1 | 2 | 3 | 4,
        exclude: flags.exclude,
        keepInt8: flags.keepInt8,
      };
      if (flags.algorithm !== 'rtn') {
        if (!flags.calibrate)
          throw new ConfigError(
            'command line',
            '--calibrate',
            `--algorithm ${flags.algorithm} needs calibration activations`,
            'add --calibrate <suite.yaml>; its dataset is used',
          );
        const { examples, dataset, datasetSha256 } = await calibrationExamples(resolveModelInput(model), flags.calibrate, flags.calibrationExamples);
        options.algorithm = flags.algorithm;
        options.int4Calibration = { examples, source: dataset, sha256: datasetSha256 };
      }
      if (flags.method === 'static') {
        if (!flags.calibrate)
          throw new ConfigError('command line', '--calibrate', 'static int8 needs a calibration set', 'add --calibrate <suite.yaml>; its dataset is used');
        options.calibration = {
          method: flags.calibration,
          percentile: flags.percentile,
          ...(await calibrationExamples(resolveModelInput(model), flags.calibrate, flags.calibrationExamples)),
        };
      }
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

/** The first examples of a suite's dataset, shaped for the model being quantized. */
async function calibrationExamples(modelFile: string, suiteFile: string, count: number) {
  const suite = loadSuite(suiteFile);
  if (suite.dataset === undefined)
    throw new ConfigError(
      suiteFile,
      'dataset',
      "calibration reads the suite's dataset, and this suite has none (only a workload)",
      'add a dataset to the suite',
    );
  const dataset = await loadDataset(resolve(dirname(suiteFile), suite.dataset), suiteFile);
  const { inputs } = await inspectModel(modelFile);
  const examples = dataset.examples
    .slice(0, count)
    .map((example) => ({ id: example.id, feeds: feedsForExample(example, inputs, relative(process.cwd(), dataset.file), 'calibration') }));
  return { examples, dataset: relative(process.cwd(), dataset.file), datasetSha256: dataset.sha256 };
}
