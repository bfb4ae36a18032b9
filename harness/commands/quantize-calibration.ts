import { createHash } from 'node:crypto';
import { dirname, relative, resolve } from 'node:path';
import { ConfigError } from '../config/errors.ts';
import { loadSuite } from '../config/load-suite.ts';
import type { RunnerExample } from '../core/runner-protocol.ts';
import { PerplexityOptions } from '../core/suite.ts';
import { inspectModel } from '../onnx/model-file.ts';
import { loadCorpus } from '../plan/corpus.ts';
import { loadDataset } from '../plan/dataset.ts';
import { tokenExamples } from '../quantize/next-token-logits.ts';
import { sampledWindows } from '../quantize/sampled-windows.ts';
import { feedsForExample } from '../tasks/feeds.ts';
import { readModelConfig } from '../tasks/model-config.ts';
import { slidingWindows } from '../tasks/perplexity-windows.ts';
import { findTokenizerFile, loadTokenizer } from '../tasks/tokenizer.ts';

export interface CalibrationSet {
  examples: RunnerExample[];
  /** The file they came from (relative to the working directory), or how they were made. */
  source: string;
  sha256: string;
}

/** Windows sampled from the decoder itself, when no calibration data is given: at most this many, of WINDOW tokens. */
const SAMPLED_WINDOWS = 32;
const SAMPLED_WINDOW_TOKENS = 64;

/**
 * The first `count` examples of a suite's dataset, shaped for the model being quantized. A perplexity suite's
 * dataset is a corpus: it is encoded with the model's tokenizer and cut into disjoint windows of the suite's
 * `perplexity.context` tokens, each an example feeding input_ids (the decoder's other inputs are filled per pass).
 */
export async function suiteCalibration(modelFile: string, suiteFile: string, count: number): Promise<CalibrationSet> {
  const suite = loadSuite(suiteFile);
  if (suite.dataset === undefined)
    throw new ConfigError(
      suiteFile,
      'dataset',
      "calibration reads the suite's dataset, and this suite has none (only a workload)",
      'add a dataset to the suite',
    );
  const datasetFile = resolve(dirname(suiteFile), suite.dataset);
  const dataset = suite.task === 'perplexity' ? await loadCorpus(datasetFile, suiteFile) : await loadDataset(datasetFile, suiteFile);
  const source = relative(process.cwd(), dataset.file);
  if (suite.task === 'perplexity') {
    const options = PerplexityOptions.parse(suite.perplexity ?? {});
    const tokenizerFile = options.tokenizer ? resolve(dirname(suiteFile), options.tokenizer) : findTokenizerFile(modelFile);
    if (!tokenizerFile)
      throw new ConfigError(
        suiteFile,
        'perplexity.tokenizer',
        'the corpus is encoded with the model tokenizer, and no tokenizer.json was found beside the model',
        "set perplexity.tokenizer to the model's tokenizer.json",
      );
    const ids = loadTokenizer(tokenizerFile, suiteFile).encode(dataset.examples.map((e) => e.text ?? '').join('\n\n'));
    const windows = slidingWindows(ids, options.context, options.context)
      .map((w) => w.tokens)
      .filter((tokens) => tokens.length >= 2)
      .slice(0, count);
    return { examples: tokenExamples(windows, 'window'), source, sha256: dataset.sha256 };
  }
  const { inputs } = await inspectModel(modelFile);
  const examples = dataset.examples.slice(0, count).map((example) => ({ id: example.id, feeds: feedsForExample(example, inputs, source, 'calibration') }));
  return { examples, source, sha256: dataset.sha256 };
}

/** A decoder: token ids in, logits of every position out ([batch, sequence, vocabulary]; a classifier's are [batch, classes]). */
export async function isDecoder(modelFile: string): Promise<boolean> {
  const { inputs, outputs } = await inspectModel(modelFile);
  return inputs.some((i) => i.name === 'input_ids') && outputs.some((o) => o.name === 'logits' && o.dims.length === 3);
}

/**
 * Where KL divergence against fp32 is measured: the `--calibrate` suite's data, or for a decoder without it,
 * windows the fp32 decoder samples from its begin-of-text token. Any other model needs calibration data.
 */
export async function kldCalibration(modelFile: string, flag: string, suiteFile: string | undefined, count: number): Promise<CalibrationSet> {
  if (suiteFile) return suiteCalibration(modelFile, suiteFile, count);
  if (!(await isDecoder(modelFile)))
    throw new ConfigError(
      'command line',
      '--calibrate',
      `${flag} measures KL divergence on calibration examples, and ${modelFile} is not a decoder (input_ids in, logits out) whose own text could serve`,
      `add --calibrate <suite.yaml>; its dataset is run through the fp32 model and each variant`,
    );
  const config = readModelConfig(modelFile);
  const bos = [config.config?.bos_token_id, config.generation?.bos_token_id].flat().find((id) => typeof id === 'number') ?? config.eosTokenIds[0];
  if (bos === undefined)
    throw new ConfigError(
      'command line',
      '--calibrate',
      `${flag} samples text from the decoder ${modelFile}, and no begin- or end-of-text id is in its config.json or generation_config.json`,
      'add --calibrate <suite.yaml> (a perplexity suite over a corpus does)',
    );
  const windows = await sampledWindows(modelFile, { count: Math.min(count, SAMPLED_WINDOWS), length: SAMPLED_WINDOW_TOKENS, start: bos });
  const sha256 = createHash('sha256').update(JSON.stringify(windows)).digest('hex');
  return {
    examples: tokenExamples(windows, 'sampled'),
    source: `${windows.length} x ${SAMPLED_WINDOW_TOKENS} tokens sampled from the fp32 model (seed 20)`,
    sha256,
  };
}
