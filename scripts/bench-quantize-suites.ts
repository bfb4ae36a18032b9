/**
 * The trained demo decoder's variants measured by edgebench itself: each is quantized from the fp32 model into one
 * model folder beside the tokenizer and config, then the CLI runs two suites on host over all of them, and one row per
 * variant is printed from their results.json:
 *  - the demo's generate suite (models/demo/decoder-prompts.jsonl, as suites/demo-decoder.yaml): p50 of a whole
 *    generation of up to 24 tokens, and decode tokens/s;
 *  - the perplexity suite (held-out corpus, as suites/perplexity.yaml): perplexity with its 95% CI, and KL against
 *    fp32's stored top-32 distributions (mean, p99) and same top-1, as llama-perplexity --kl-divergence defines them.
 * gptq, gptaq and awq calibrate on 100 windows of 128 tokens of the training corpus.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { Results, type CellResult } from '../harness/core/results.ts';
import { quantizeModel, type QuantizeOptions } from '../harness/quantize/quantize.ts';
import { trainedWindows } from './bench-quantize-trained.ts';
import { tokenCalibration } from './bench-quantize-slm.ts';

const SOURCE = 'models/demo/trained-decoder';
const FOLDER_FILES = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json'];
const TRAIN = 'test/fixtures/corpus/train.txt';

const VARIANTS: { name: string; options?: Omit<QuantizeOptions, 'input' | 'output'> }[] = [
  { name: 'fp32' },
  { name: 'fp16', options: { to: 'fp16' } },
  { name: 'int8', options: { to: 'int8' } },
  { name: 'int4-rtn', options: { to: 'int4' } },
  { name: 'int4-awq', options: { to: 'int4', algorithm: 'awq' } },
  { name: 'int4-gptq', options: { to: 'int4', algorithm: 'gptq' } },
  { name: 'int4-gptaq', options: { to: 'int4', algorithm: 'gptaq' } },
  { name: 'q4f16-rtn', options: { to: 'q4f16' } },
  { name: 'q4f16-gptaq', options: { to: 'q4f16', algorithm: 'gptaq' } },
];

export async function benchDecoderSuites(): Promise<void> {
  const scratch = await mkdtemp(join(tmpdir(), 'edgebench-quantized-suites-'));
  try {
    const folder = join(scratch, 'trained-decoder');
    await mkdir(join(folder, 'onnx'), { recursive: true });
    for (const file of FOLDER_FILES) await copyFile(join(SOURCE, file), join(folder, file));
    const fp32 = join(folder, 'onnx', 'model.onnx');
    await copyFile(join(SOURCE, 'onnx', 'model.onnx'), fp32);
    const int4Calibration = await tokenCalibration(await trainedWindows(TRAIN, 100), TRAIN, 'train');
    const variantLines: string[] = [];
    for (const variant of VARIANTS) {
      if (!variant.options) {
        variantLines.push(`  - {name: ${variant.name}, precision: fp32, file: ${fp32}}`);
        continue;
      }
      const { manifestFile } = await quantizeModel({
        ...variant.options,
        ...(variant.options.algorithm ? { int4Calibration } : {}),
        input: fp32,
        output: join(folder, 'onnx', `model_${variant.name}.onnx`),
      });
      variantLines.push(`  - {name: ${variant.name}, manifest: ${manifestFile}}`);
    }
    const common = ['devices: [host]', 'runtime: {intraOpThreads: 1, graphOptimizationLevel: all}', 'variants:', ...variantLines].join('\n');
    const generate = await runSuite(
      scratch,
      'generate',
      [
        'name: quantized-decoder-generate',
        'task: generate',
        `dataset: ${resolve('models/demo/decoder-prompts.jsonl')}`,
        'warmup: 3',
        'iterations: 40',
        'repeats: 3',
        'generation: {maxNewTokens: 24}',
        common,
      ].join('\n'),
    );
    const perplexity = await runSuite(
      scratch,
      'perplexity',
      [
        'name: quantized-decoder-perplexity',
        'task: perplexity',
        `dataset: ${resolve('test/fixtures/corpus/heldout.txt')}`,
        'warmup: 2',
        // Each of the corpus's 100 windows is scored by one timed iteration.
        'iterations: 100',
        'repeats: 1',
        'perplexity: {context: 128, stride: 64, topK: 32, reference: fp32}',
        common,
      ].join('\n'),
    );
    console.log(
      `\ntrained demo decoder (${SOURCE}) through edgebench on host: generate suite (${generate.runId}: p50 of a whole generation of up to 24 tokens, 3 runner processes), perplexity suite (${perplexity.runId}: context 128, stride 64, KL against fp32's stored top-32)`,
    );
    console.log('variant        bytes    vs fp32  p50 ms   decode tok/s  perplexity (95% CI)       KLD mean   KLD p99    same top-1');
    const fp32Bytes = valueOf(cellOf(generate, 'fp32').metrics.diskBytes) ?? 1;
    for (const { name } of VARIANTS) {
      const timed = cellOf(generate, name);
      const quality = cellOf(perplexity, name).quality?.perplexity;
      const bytes = valueOf(timed.metrics.diskBytes) ?? 0;
      const p50 = timed.metrics.latencyMs.source === 'measured' ? timed.metrics.latencyMs.summary.p50 : undefined;
      const tokensPerSecond = valueOf(timed.metrics.decodeTokensPerSecond);
      const kld = quality?.divergence?.kld;
      console.log(
        [
          name.padEnd(12),
          String(bytes).padStart(9),
          (bytes / fp32Bytes).toFixed(3).padStart(8),
          (p50?.toFixed(3) ?? 'n/a').padStart(7),
          (tokensPerSecond?.toFixed(0) ?? 'n/a').padStart(13),
          ` ${quality ? `${quality.value.toFixed(3)} [${quality.ci95.lower.toFixed(3)}, ${quality.ci95.upper.toFixed(3)}]` : 'n/a'}`.padEnd(26),
          (name === 'fp32' ? '-' : (kld?.mean.toExponential(3) ?? 'n/a')).padStart(9),
          (name === 'fp32' ? '-' : (kld?.p99.toExponential(3) ?? 'n/a')).padStart(10),
          (name === 'fp32' ? '-' : `${((quality?.divergence?.sameTop1 ?? NaN) * 100).toFixed(2)}%`).padStart(12),
        ].join(' '),
      );
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Writes the suite, runs it with the CLI (on host, from the project's devices.yaml) and reads its results. */
async function runSuite(scratch: string, name: string, yaml: string): Promise<Results> {
  const suite = join(scratch, `${name}.yaml`);
  await writeFile(suite, `${yaml}\n`);
  const out = join(scratch, 'reports');
  const run = await execa(process.execPath, ['bin/edgebench.js', 'run', '--suite', suite, '--no-report', '--out', out, '--run-id', name], { reject: false });
  if (run.exitCode !== 0) throw new Error(`the ${name} suite exited ${run.exitCode}:\n${run.stderr}`);
  return Results.parse(JSON.parse(await readFile(join(out, name, 'results.json'), 'utf8')));
}

/** A measured or estimated figure's value; undefined where it is unavailable. */
const valueOf = (metric: { source: string } | undefined) => (metric && 'value' in metric && typeof metric.value === 'number' ? metric.value : undefined);

function cellOf(results: Results, variant: string): CellResult {
  const cell = results.cells.find((c) => c.variant.name === variant);
  if (!cell || cell.status !== 'ok') throw new Error(`${results.suite.name}: variant ${variant} did not run (${cell?.status ?? 'missing'})`);
  return cell;
}
