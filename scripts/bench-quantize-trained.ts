/**
 * The int4 algorithms side by side on the trained decoder (test/fixtures/models/trained-decoder, 1.0M parameters,
 * trained on test/fixtures/corpus/train.txt): bytes, and KL(fp32 || variant) of the next-token distributions at
 * every position of 128-token windows of the held-out corpus, and both against the first variant (int4 rtn). gptq,
 * gptaq and awq calibrate on windows of train.txt, so
 * the KL is measured on text the calibration never saw. Then `--sensitivity`'s top five layers and int4 rtn with
 * `--budget-kld` at half int4 rtn's KL.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { quantizeModel, type QuantizeOptions } from '../harness/quantize/quantize.ts';
import { searchKldBudget, withMoved } from '../harness/quantize/kld-budget.ts';
import { kldSet, measureKld } from '../harness/quantize/kld-measurement.ts';
import { tokenExamples } from '../harness/quantize/next-token-logits.ts';
import { rankLayers } from '../harness/quantize/sensitivity.ts';
import { fidelity, type Fidelity } from '../harness/stats/fidelity.ts';
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
export async function trainedWindows(file: string, count: number): Promise<number[][]> {
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

const row = (name: string, bytes: number, f: Fidelity, note = '') =>
  `${name.padEnd(20)} ${String(bytes).padStart(9)}  ${f.meanKlDivergence.toExponential(3).padStart(9)}  ${(f.top1Agreement * 100).toFixed(1).padStart(8)}%   ${note}`;

/**
 * `--sensitivity` and `--budget-kld` as the command runs them, on the calibration windows of train.txt: the five
 * layers whose int4 codes add the most KL, then int4 rtn with the budget set to half int4 rtn's KL on those windows.
 * The budget row's KL is measured on the held-out windows, as the rows above.
 */
async function sensitivityAndBudget(source: string, calibration: number[][], prompts: number[][], reference: Float32Array[], width: number, scratch: string) {
  const set = await kldSet(source, tokenExamples(calibration, 'train'), { source: TRAIN });
  const ranking = await rankLayers({ input: source, to: 'int4' }, set, scratch);
  console.log(`\nsensitivity (int4 rtn, one layer at a time, KL on the ${set.measuredOn.distributions} calibration positions), top 5 of ${ranking.length}:`);
  for (const l of ranking.slice(0, 5)) console.log(`  ${l.layer.padEnd(40)} ${l.kld.toExponential(3)}  ${(l.top1 * 100).toFixed(1).padStart(5)}%`);
  const rtn = await quantizeModel({ input: source, to: 'int4', output: join(scratch, 'rtn.onnx') });
  const budget = (await measureKld(rtn.outputFile, set)).kld / 2;
  const search = await searchKldBudget({ input: source, to: 'int4' }, ranking, set, budget, 'int8', scratch);
  if (!search.met) {
    console.log(`--budget-kld ${budget.toExponential(3)}: not met; best ${search.best.kld.toExponential(3)}`);
    return;
  }
  const { outputFile, manifest } = await quantizeModel({
    ...withMoved({ input: source, to: 'int4' }, search.met.moved, 'int8'),
    output: join(scratch, 'budget.onnx'),
  });
  const f = fidelity(reference, await promptLogits(outputFile, prompts), width);
  console.log(
    `--budget-kld ${budget.toExponential(3)} (half int4 rtn's calibration KL): met at ${search.met.kld.toExponential(3)} with ${search.met.moved.length} layer(s) at int8: ${search.met.moved.join(', ')}`,
  );
  console.log('variant               bytes     mean KL   same top-1');
  console.log(row('int4 rtn budget', manifest.diskBytes, f, `(held-out; int4 rtn ${rtn.manifest.diskBytes} bytes)`));
}

/** gptq, gptaq and awq calibrate on `calibrationWindows` windows of train.txt: 100, as `quantize --calibration-examples` defaults to. */
export async function benchTrainedDecoder(variants: TrainedVariant[], calibrationWindows = 100, options: { skipSensitivity?: boolean } = {}): Promise<void> {
  const source = join(FOLDER, 'onnx', 'model.onnx');
  const calibration = await trainedWindows(TRAIN, calibrationWindows);
  const int4Calibration = await tokenCalibration(calibration, TRAIN, 'train');
  const prompts = await trainedWindows(HELD_OUT, Infinity);
  const reference = await promptLogits(source, prompts);
  const width = reference[0]!.length / WINDOW;
  console.log(
    `\ntrained decoder (${FOLDER}): KL(fp32 || variant) over ${prompts.length * WINDOW} next-token positions of ${HELD_OUT}; gptq / gptaq / awq calibrated on ${calibration.length} x ${WINDOW} tokens of ${TRAIN}`,
  );
  console.log(`variant               bytes     mean KL   same top-1   vs ${variants[0]!.name}: KL, bytes   awq alpha > 0`);
  let first: { kl: number; bytes: number } | undefined;
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
      first ??= { kl: f.meanKlDivergence, bytes: manifest.diskBytes };
      const change = (now: number, then: number) => `${now >= then ? '+' : '-'}${((Math.abs(now - then) / then) * 100).toFixed(1)}%`;
      const versus = `${change(f.meanKlDivergence, first.kl).padStart(7)}, ${change(manifest.diskBytes, first.bytes).padStart(6)}`;
      console.log(row(variant.name, manifest.diskBytes, f, `${versus.padEnd(22)}${scaled}`));
    }
    if (!options.skipSensitivity) await sensitivityAndBudget(source, calibration, prompts, reference, width, scratch);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
