/**
 * The int4 algorithms side by side on the trained decoder (test/fixtures/models/trained-decoder, 1.0M parameters,
 * trained on test/fixtures/corpus/train.txt): bytes, and KL(fp32 || variant) of the next-token distributions at
 * every position of 128-token windows of the held-out corpus. gptq and awq calibrate on windows of train.txt, so
 * the KL is measured on text the calibration never saw.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { quantizeModel, type QuantizeOptions } from '../harness/quantize/quantize.ts';
import { fidelity } from '../harness/stats/fidelity.ts';
import { promptLogits, tokenCalibration } from './bench-quantize-slm.ts';

const FOLDER = 'test/fixtures/models/trained-decoder';
const TRAIN = 'test/fixtures/corpus/train.txt';
const HELD_OUT = 'test/fixtures/corpus/heldout.txt';
const WINDOW = 128;

export interface TrainedVariant {
  name: string;
  options: Omit<QuantizeOptions, 'input' | 'output' | 'int4Calibration'>;
}

/** Every document of a corpus file, each followed by the end-of-text id, as in training; cut into windows. */
async function windows(file: string, count: number): Promise<number[][]> {
  const read = async (name: string) => JSON.parse(await readFile(join(FOLDER, name), 'utf8')) as Record<string, unknown>;
  const tokenizer = new Tokenizer(await read('tokenizer.json'), await read('tokenizer_config.json'));
  const eos = (await read('generation_config.json')).eos_token_id as number;
  const ids = (await readFile(file, 'utf8'))
    .split('\n')
    .filter((line) => line.trim() !== '')
    .flatMap((line) => [...tokenizer.encode(line, { add_special_tokens: false }).ids, eos]);
  const all = Array.from({ length: Math.floor(ids.length / WINDOW) }, (_, i) => ids.slice(i * WINDOW, (i + 1) * WINDOW));
  return all.slice(0, count);
}

export async function benchTrainedDecoder(variants: TrainedVariant[], calibrationWindows = 32): Promise<void> {
  const source = join(FOLDER, 'onnx', 'model.onnx');
  const calibration = await windows(TRAIN, calibrationWindows);
  const int4Calibration = await tokenCalibration(calibration, TRAIN, 'train');
  const prompts = await windows(HELD_OUT, Infinity);
  const reference = await promptLogits(source, prompts);
  const width = reference[0]!.length / WINDOW;
  console.log(
    `\ntrained decoder (${FOLDER}): KL(fp32 || variant) over ${prompts.length * WINDOW} next-token positions of ${HELD_OUT}; gptq / awq calibrated on ${calibration.length} x ${WINDOW} tokens of ${TRAIN}`,
  );
  console.log('variant           bytes     mean KL   same top-1  awq alpha > 0');
  const scratch = await mkdtemp(join(tmpdir(), 'edgebench-trained-'));
  try {
    for (const variant of variants) {
      const { outputFile, manifest } = await quantizeModel({
        ...variant.options,
        ...(variant.options.algorithm && variant.options.algorithm !== 'rtn' ? { int4Calibration } : {}),
        input: source,
        output: join(scratch, `${variant.name.replace(/ /g, '-')}.onnx`),
      });
      const f = fidelity(reference, await promptLogits(outputFile, prompts), width);
      const alphas = 'awqAlphas' in manifest.quantization && manifest.quantization.awqAlphas ? Object.values(manifest.quantization.awqAlphas) : [];
      const scaled = alphas.length > 0 ? `${alphas.filter((a) => a > 0).length} of ${alphas.length} layers` : '';
      console.log(
        `${variant.name.padEnd(16)} ${String(manifest.diskBytes).padStart(9)}  ${f.meanKlDivergence.toExponential(3).padStart(9)}  ${(f.top1Agreement * 100).toFixed(1).padStart(8)}%   ${scaled}`,
      );
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
