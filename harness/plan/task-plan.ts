import { dirname, relative, resolve } from 'node:path';
import { byteOrderMarkAt, BYTE_ORDER_MARK, BYTE_ORDER_MARK_NAME, withoutLeadingByteOrderMark } from '../config/byte-order-mark.ts';
import { ConfigError, ConfigErrors } from '../config/errors.ts';
import { FILE_LIMITS, readBoundedFileSync } from '../config/read-bounded-file.ts';
import type { Suite } from '../core/suite.ts';
import type { TaskSpec, TensorSpec } from '../core/runner-protocol.ts';
import type { Dataset, Example } from './dataset.ts';
import { feedsForExample } from './feeds.ts';
import type { ResolvedVariant } from './resolve-variant.ts';
import { findTokenizerFile, loadTokenizer, type TextTokenizer } from './tokenizer.ts';

/** How the suite's task turns into runner jobs, and what scoring needs to read their outputs. */
export interface TaskPlan {
  spec: TaskSpec;
  tokenizer?: TextTokenizer;
  /** classify: class names in logit order. */
  labels?: string[];
  feeds(example: Example, variant: ResolvedVariant, datasetFile: string): Record<string, TensorSpec>;
}

export function planTask(suite: Suite, suiteFile: string, variants: ResolvedVariant[], dataset: Dataset): TaskPlan {
  const suiteDir = dirname(suiteFile);
  const generic = (example: Example, variant: ResolvedVariant, datasetFile: string) => feedsForExample(example, variant.model.inputs, datasetFile, variant.variant.name);
  switch (suite.task) {
    case 'classify': {
      const labels = suite.classification ? loadLabels(suite.classification.labels, suiteDir, suiteFile) : undefined;
      if (labels) checkLabelsMatchLogits(labels, suite.classification!.labels, variants, suiteFile);
      return { spec: { kind: 'classify' }, labels, feeds: generic };
    }
    case 'embed':
      return { spec: { kind: 'embed' }, feeds: generic };
    case 'forward':
      return { spec: { kind: 'forward' }, feeds: generic };
    case 'generate': {
      const options = suite.generation ?? { maxNewTokens: 32 };
      const tokenizerFile = options.tokenizer ? resolve(suiteDir, options.tokenizer) : variants[0] && findTokenizerFile(variants[0].modelPath);
      const needsTokenizer = dataset.examples.some((e) => !e.inputs);
      if (needsTokenizer && !tokenizerFile) {
        throw new ConfigError(suiteFile, 'generation.tokenizer', 'the dataset has text prompts but no tokenizer.json was found beside the model', 'set generation.tokenizer to the model\'s tokenizer.json');
      }
      const tokenizer = tokenizerFile ? loadTokenizer(tokenizerFile, suiteFile) : undefined;
      return {
        spec: { kind: 'generate', maxNewTokens: options.maxNewTokens, stopTokenIds: options.stopTokenIds ?? tokenizer?.eosTokenIds ?? [] },
        tokenizer,
        // The runner builds attention_mask, position_ids and the KV cache itself: a prompt is just its token ids.
        feeds: (example, variant, datasetFile) => {
          const ids = example.inputs?.input_ids !== undefined ? generic(example, variant, datasetFile).input_ids!.data : tokenizer!.encode(example.text!);
          if (ids.length === 0) throw new ConfigError(`${datasetFile}:${example.line}`, 'text', 'the prompt encodes to no tokens', 'give every example a non-empty prompt');
          if (example.inputs?.input_ids === undefined) checkTokenizerFitsModel(ids, variant, tokenizer!, `${datasetFile}:${example.line}`);
          return { input_ids: { type: 'int64', dims: [1, ids.length], data: ids } };
        },
      };
    }
  }
}

/** A tokenizer from another model encodes ids the model's embedding does not have: onnxruntime would fail mid-run. */
function checkTokenizerFitsModel(ids: readonly number[], variant: ResolvedVariant, tokenizer: TextTokenizer, where: string): void {
  const table = variant.model.inputs.find((i) => i.name === 'input_ids')?.indexes;
  const beyond = table ? ids.find((id) => id >= table.rows) : undefined;
  if (table && beyond !== undefined) {
    throw new ConfigError(
      where,
      'text',
      `${relative(process.cwd(), tokenizer.file)} encodes the prompt to token id ${beyond}, outside the vocabulary of variant "${variant.variant.name}" ` +
        `("input_ids" indexes "${table.table}", which has ${table.rows} rows)`,
      'use the tokenizer that belongs to the model (generation.tokenizer)',
    );
  }
}

function loadLabels(labels: string | string[], suiteDir: string, suiteFile: string): string[] {
  if (Array.isArray(labels)) return checkLabelText(labels, suiteFile);
  const file = resolve(suiteDir, labels);
  const shown = relative(process.cwd(), file);
  let parsed: unknown;
  try {
    // An editor may start a UTF-8 file with a byte-order mark; it is not part of the list.
    const text = withoutLeadingByteOrderMark(readBoundedFileSync(file, { what: 'label list', maxBytes: FILE_LIMITS.dataset }).toString('utf8'));
    const bom = byteOrderMarkAt(text);
    if (bom) throw new ConfigError(shown, undefined, `${BYTE_ORDER_MARK_NAME} at ${bom}, after the start of the file`, 'remove it (save as UTF-8 without BOM)');
    parsed = JSON.parse(text);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const problem = `cannot read ${shown} (${(error as Error).message})`;
    throw new ConfigError(suiteFile, 'classification.labels', problem, 'point it at a JSON file holding a list of class names');
  }
  if (Array.isArray(parsed) && parsed.every((l) => typeof l === 'string')) return parsed;
  throw new ConfigError(suiteFile, 'classification.labels', `${shown} does not hold a list of strings`, 'write the class names in logit order as a JSON list');
}

/** A label with an invisible byte-order mark never equals the dataset's label, and every answer scores wrong. */
function checkLabelText(labels: string[], suiteFile: string): string[] {
  const index = labels.findIndex((l) => l.includes(BYTE_ORDER_MARK));
  if (index >= 0) {
    const shown = JSON.stringify(labels[index]).replaceAll(BYTE_ORDER_MARK, '\\uFEFF');
    throw new ConfigError(suiteFile, `classification.labels[${index}]`, `label ${shown} holds ${BYTE_ORDER_MARK_NAME}`, 'remove the byte-order mark from the label');
  }
  return labels;
}

/**
 * The runner picks the argmax of the model's first output and names it by
 * label: with more or fewer labels than logits, every answer is misnamed and
 * accuracy reads 0% on a run that otherwise looks fine. Checked where the last
 * dimension is a fixed number; a symbolic one is left to the run.
 */
function checkLabelsMatchLogits(labels: string[], source: string | string[], variants: ResolvedVariant[], suiteFile: string): void {
  const from = typeof source === 'string' ? `${source} holds` : 'the suite lists';
  const errors: ConfigError[] = [];
  for (const { model, variant } of variants) {
    const output = model.outputs[0];
    const logits = output?.dims.at(-1);
    if (!output || typeof logits !== 'number' || logits === labels.length) continue;
    errors.push(
      new ConfigError(
        suiteFile,
        'classification.labels',
        `${from} ${labels.length} labels, but variant "${variant.name}" outputs ${logits} logits ` +
          `(its first output "${output.name}" has shape [${output.dims.map((d) => d ?? '?').join(', ')}])`,
        `give exactly ${logits} class names, in logit order, or check that the variant is the classifier the labels belong to`,
      ),
    );
  }
  if (errors.length > 0) throw new ConfigErrors(errors);
}
