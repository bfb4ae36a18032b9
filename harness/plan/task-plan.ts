import { dirname, relative, resolve } from 'node:path';
import { ConfigError } from '../config/errors.ts';
import { FILE_LIMITS, readBoundedFileSync } from '../config/read-bounded-file.ts';
import type { Suite } from '../config/suite.ts';
import type { TaskSpec, TensorSpec } from '../runner/protocol.ts';
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
    case 'classify':
      return { spec: { kind: 'classify' }, labels: suite.classification ? loadLabels(suite.classification.labels, suiteDir, suiteFile) : undefined, feeds: generic };
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
        feeds: (example, _variant, datasetFile) => {
          const ids = example.inputs?.input_ids !== undefined ? generic(example, _variant, datasetFile).input_ids!.data : tokenizer!.encode(example.text!);
          if (ids.length === 0) throw new ConfigError(`${datasetFile}:${example.line}`, 'text', 'the prompt encodes to no tokens', 'give every example a non-empty prompt');
          return { input_ids: { type: 'int64', dims: [1, ids.length], data: ids } };
        },
      };
    }
  }
}

function loadLabels(labels: string | string[], suiteDir: string, suiteFile: string): string[] {
  if (Array.isArray(labels)) return labels;
  const file = resolve(suiteDir, labels);
  try {
    const parsed: unknown = JSON.parse(readBoundedFileSync(file, { what: 'label list', maxBytes: FILE_LIMITS.dataset }).toString('utf8'));
    if (Array.isArray(parsed) && parsed.every((l) => typeof l === 'string')) return parsed;
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(suiteFile, 'classification.labels', `cannot read ${relative(process.cwd(), file)} (${(error as Error).message})`, 'point it at a JSON file holding a list of class names');
  }
  throw new ConfigError(suiteFile, 'classification.labels', `${relative(process.cwd(), file)} does not hold a list of strings`, 'write the class names in logit order as a JSON list');
}
