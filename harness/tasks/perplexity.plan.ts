import { dirname, join, relative, resolve } from 'node:path';
import { ConfigError } from '../config/errors.ts';
import type { TensorSpec } from '../core/runner-protocol.ts';
import { PerplexityOptions, type Suite } from '../core/suite.ts';
import type { ReferenceRecord } from '../stats/perplexity-statistics.ts';
import { readModelConfig } from './model-config.ts';
import { slidingWindows, type TokenWindow } from './perplexity-windows.ts';
import { WINDOW_FEEDS } from './perplexity.run.ts';
import { referenceDistributions } from './reference-distributions.ts';
import type { TaskExample, TaskPlanner, TaskVariant } from './task.ts';
import { findTokenizerFile, loadTokenizer } from './tokenizer.ts';
import { readTopK, TopKFileError, topKKey, TOP_K_FORMAT, writeTopK, type TopKReference } from './top-k-reference.ts';

/** Where stored reference distributions go when the suite names no file: in the working directory, like the baseline cache. */
export const PERPLEXITY_CACHE_DIR = join('.cache', 'perplexity');

/**
 * The corpus (the suite's dataset: a text file, or JSON lines of {"text"})
 * is joined with blank lines, encoded with the model's tokenizer, and cut into
 * sliding windows (perplexity-windows.ts); each window is one example of the
 * run. The reference variant's distribution at every scored position is
 * computed once, here on the host, and stored as top-k log-probabilities plus
 * the remaining mass (top-k-reference.ts); each window's runner job carries
 * its rows, so a device needs neither the reference model nor the file.
 */
export const perplexityPlan: TaskPlanner = async ({ suite, suiteFile, variants, examples }) => {
  const options = PerplexityOptions.parse(suite.perplexity ?? {});
  const stride = options.stride ?? Math.max(1, Math.floor(options.context / 2));
  if (stride > options.context) {
    throw new ConfigError(
      suiteFile,
      'perplexity.stride',
      `stride ${stride} is longer than the context (${options.context}): the tokens between two windows would never be scored`,
      `set perplexity.stride to at most ${options.context}`,
    );
  }
  const tokenizerFile = options.tokenizer ? resolve(dirname(suiteFile), options.tokenizer) : variants[0] && findTokenizerFile(variants[0].modelPath);
  if (!tokenizerFile) {
    throw new ConfigError(
      suiteFile,
      'perplexity.tokenizer',
      'the perplexity task encodes the corpus with the model tokenizer, and no tokenizer.json was found beside the model',
      "set perplexity.tokenizer to the model's tokenizer.json",
    );
  }
  const tokenizer = loadTokenizer(tokenizerFile, suiteFile);
  const datasetField = 'dataset';
  // Documents joined by a blank line, as the Hugging Face guide joins WikiText's lines before encoding.
  const ids = tokenizer.encode(examples.map((e) => e.text ?? '').join('\n\n'));
  if (ids.length < 2) {
    throw new ConfigError(
      suiteFile,
      datasetField,
      `the corpus encodes to ${ids.length} token${ids.length === 1 ? '' : 's'}: perplexity needs at least 2 (a token and one to predict)`,
      'give the corpus some text',
    );
  }
  for (const variant of variants) checkVocabulary(ids, variant, relative(process.cwd(), tokenizerFile), suiteFile);
  const windows = slidingWindows(ids, options.context, stride);
  if (suite.iterations < windows.length) {
    throw new ConfigError(
      suiteFile,
      'iterations',
      `the corpus makes ${windows.length} windows of ${options.context} tokens, ${stride} apart, and each is scored once by a timed iteration, but iterations is ${suite.iterations}`,
      `set iterations to at least ${windows.length} (or a larger perplexity.stride, or a shorter corpus)`,
    );
  }
  const stored = await storedReference(suite, suiteFile, variants, windows, options);
  const rowsOf = windowRows(windows, stored.reference);
  const windowExamples: TaskExample[] = windows.map((window, index) => ({
    id: `window-${String(index).padStart(4, '0')}`,
    line: examples.find((e) => e.text !== undefined)?.line ?? 1,
    text: tokenizer.decode(window.tokens),
  }));
  const byId = new Map(windowExamples.map((example, index) => [example.id, index]));
  const configs = new Map(variants.map((variant) => [variant.modelPath, readModelConfig(variant.modelPath)]));
  return {
    spec: { kind: 'perplexity' },
    specFor: (variant) => {
      const config = configs.get(variant.modelPath) ?? readModelConfig(variant.modelPath);
      return { kind: 'perplexity', ...(Object.keys(config.cache).length > 0 ? { cache: config.cache } : {}) };
    },
    tokenizer,
    examples: windowExamples,
    storedReference: stored.record,
    feeds: (example) => {
      const index = byId.get(example.id);
      if (index === undefined) throw new Error(`${example.id} is not a window of the corpus`);
      return windowFeeds(windows[index]!, rowsOf[index]!, stored.reference.header.topK);
    },
  };
};

/** The stored rows of each window, in order: the file holds every window's scored positions one after another. */
function windowRows(windows: readonly TokenWindow[], reference: TopKReference): TopKReference['rows'][] {
  let at = 0;
  return windows.map((window) => {
    const count = window.tokens.length - window.scoredFrom;
    const rows = reference.rows.slice(at, at + count);
    at += count;
    return rows;
  });
}

function windowFeeds(window: TokenWindow, rows: TopKReference['rows'], k: number): Record<string, TensorSpec> {
  const s = rows.length;
  return {
    input_ids: { type: 'int64', dims: [1, window.tokens.length], data: window.tokens },
    [WINDOW_FEEDS.scoredFrom]: { type: 'int32', dims: [1], data: [window.scoredFrom] },
    [WINDOW_FEEDS.ids]: { type: 'int32', dims: [s, k], data: rows.flatMap((r) => Array.from(r.ids)) },
    [WINDOW_FEEDS.logProbs]: { type: 'float32', dims: [s, k], data: rows.flatMap((r) => Array.from(r.logProbs)) },
    [WINDOW_FEEDS.tailMass]: { type: 'float32', dims: [s], data: rows.map((r) => r.tailMass) },
    [WINDOW_FEEDS.targetLogProb]: { type: 'float32', dims: [s], data: rows.map((r) => r.targetLogProb) },
  };
}

/** The reference variant: perplexity.reference, else scoring.fidelityReference, else the first fp32 variant. */
export function perplexityReference(suite: Suite): string | undefined {
  return suite.perplexity?.reference ?? suite.scoring.fidelityReference ?? suite.variants.find((v) => v.precision === 'fp32')?.name;
}

/**
 * The stored reference distributions: read when the file holds the distributions of these windows by the
 * reference variant as it is now (same model hash), computed by the reference variant and written otherwise.
 */
async function storedReference(
  suite: Suite,
  suiteFile: string,
  variants: readonly TaskVariant[],
  windows: readonly TokenWindow[],
  options: PerplexityOptions,
): Promise<{ reference: TopKReference; record: ReferenceRecord }> {
  const key = topKKey(windows, options.topK);
  const file = options.referenceFile ? resolve(dirname(suiteFile), options.referenceFile) : resolve(PERPLEXITY_CACHE_DIR, `${key.slice(0, 24)}.topk`);
  const shown = relative(process.cwd(), file);
  const name = perplexityReference(suite);
  const variant = variants.find((v) => v.variant.name === name);
  let existing: Awaited<ReturnType<typeof readTopK>>;
  try {
    existing = await readTopK(file);
  } catch (error) {
    if (!(error instanceof TopKFileError) || !variant)
      throw new ConfigError(suiteFile, 'perplexity.referenceFile', (error as Error).message, 'name a file edgebench wrote');
    existing = undefined;
  }
  const current =
    existing &&
    existing.reference.header.key === key &&
    (!variant ||
      (existing.reference.header.reference.variant === variant.variant.name && existing.reference.header.reference.sha256 === variant.variant.sha256));
  let reference: TopKReference;
  let sha256: string;
  if (existing && current) {
    ({ reference, sha256 } = existing);
  } else {
    if (!variant) {
      throw new ConfigError(
        suiteFile,
        'perplexity.reference',
        name === undefined
          ? 'no reference variant: the perplexity task compares every variant with the distributions of one (an fp32 variant, by default)'
          : `no variant named "${name}" to compute the reference distributions with${existing ? `, and ${shown} holds those of other tokens or another k` : ''}`,
        'add the reference variant to the suite (perplexity.reference names it), or give perplexity.referenceFile a file it computed for this corpus',
      );
    }
    const computed = await referenceDistributions({
      modelPath: variant.modelPath,
      runtime: suite.runtime,
      cache: readModelConfig(variant.modelPath).cache,
      windows,
      topK: options.topK,
    }).catch((error: unknown) => {
      throw new ConfigError(
        suiteFile,
        'perplexity.reference',
        `variant "${variant.variant.name}" could not compute the reference distributions on this machine: ${(error as Error).message}`,
        'check that the reference variant runs in onnxruntime-node here, or give perplexity.referenceFile a file computed elsewhere',
      );
    });
    reference = {
      header: {
        format: TOP_K_FORMAT,
        key,
        topK: Math.min(options.topK, computed.vocabulary),
        vocabulary: computed.vocabulary,
        positions: computed.rows.length,
        reference: { variant: variant.variant.name, sha256: variant.variant.sha256 ?? 'unavailable' },
      },
      rows: computed.rows,
    };
    sha256 = await writeTopK(file, reference);
  }
  const meanTailMass = reference.rows.reduce((sum, row) => sum + row.tailMass, 0) / Math.max(1, reference.rows.length);
  return { reference, record: { reference: reference.header.reference.variant, file: shown, sha256, topK: reference.header.topK, meanTailMass } };
}

/** A tokenizer from another model encodes ids the model's embedding does not have: onnxruntime would fail mid-run. */
function checkVocabulary(ids: readonly number[], variant: TaskVariant, tokenizerFile: string, suiteFile: string): void {
  const table = variant.model.inputs.find((i) => i.name === 'input_ids')?.indexes;
  const beyond = table ? ids.find((id) => id >= table.rows) : undefined;
  if (table && beyond !== undefined) {
    throw new ConfigError(
      suiteFile,
      'perplexity.tokenizer',
      `${tokenizerFile} encodes the corpus to token id ${beyond}, outside the vocabulary of variant "${variant.variant.name}" ("input_ids" indexes "${table.table}", which has ${table.rows} rows)`,
      'use the tokenizer that belongs to the model (perplexity.tokenizer)',
    );
  }
}
