import { dirname, relative, resolve } from 'node:path';
import { byteOrderMarkAt, BYTE_ORDER_MARK, BYTE_ORDER_MARK_NAME, withoutLeadingByteOrderMark } from '../config/byte-order-mark.ts';
import { ConfigError, ConfigErrors } from '../config/errors.ts';
import { FILE_LIMITS, readBoundedFileSync } from '../config/read-bounded-file.ts';
import { modelFeeds } from './feeds.ts';
import type { TaskPlanner, TaskVariant } from './task.ts';

/** The dataset's inputs as they are; the class names come from the suite, and must match the variants' logits. */
export const classifyPlan: TaskPlanner = ({ suite, suiteFile, variants }) => {
  const labels = suite.classification ? loadLabels(suite.classification.labels, dirname(suiteFile), suiteFile) : undefined;
  if (labels) checkLabelsMatchLogits(labels, suite.classification!.labels, variants, suiteFile);
  return { spec: { kind: 'classify' }, ...(labels ? { labels } : {}), feeds: modelFeeds };
};

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
    throw new ConfigError(
      suiteFile,
      `classification.labels[${index}]`,
      `label ${shown} holds ${BYTE_ORDER_MARK_NAME}`,
      'remove the byte-order mark from the label',
    );
  }
  return labels;
}

/**
 * The runner picks the argmax of the model's first output and names it by
 * label: with more or fewer labels than logits, every answer is misnamed and
 * accuracy reads 0% on a run that otherwise looks fine. Checked where the last
 * dimension is a fixed number; a symbolic one is left to the run.
 */
function checkLabelsMatchLogits(labels: string[], source: string | string[], variants: readonly TaskVariant[], suiteFile: string): void {
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
