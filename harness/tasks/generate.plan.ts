import { dirname, relative, resolve } from 'node:path';
import { ConfigError } from '../config/errors.ts';
import { feedsForExample } from './feeds.ts';
import { promptEncoder } from './prompt.ts';
import { kvCacheBytesPerToken, WorkloadPlan } from './generate-workload.plan.ts';
import type { TaskPlanner, TaskVariant } from './task.ts';
import { readModelConfig } from './model-config.ts';
import { findTokenizerFile, loadTokenizer, type TextTokenizer } from './tokenizer.ts';

/**
 * A prompt is its token ids: given as input_ids on the line, or a prompt,
 * messages or text the tokenizer encodes (prompt.ts: through the model's chat
 * template). The runner gets the ids as input_ids and the stop ids in its
 * TaskSpec, and builds attention_mask, position_ids and the KV cache itself;
 * what the graph leaves symbolic (head counts, genai's names and shared
 * buffer) comes from the config files beside each variant's model. A suite's
 * workload adds one example of synthetic ids per test (generate-workload.plan.ts).
 */
export const generatePlan: TaskPlanner = ({ suite, suiteFile, variants, examples }) => {
  const options = suite.generation ?? { maxNewTokens: 32 };
  const tokenizerFile = options.tokenizer ? resolve(dirname(suiteFile), options.tokenizer) : variants[0] && findTokenizerFile(variants[0].modelPath);
  const needsTokenizer = examples.some((e) => e.inputs?.input_ids === undefined);
  if (needsTokenizer && !tokenizerFile) {
    throw new ConfigError(
      suiteFile,
      'generation.tokenizer',
      'the dataset has text prompts (text, prompt or messages) but no tokenizer.json was found beside the model',
      "set generation.tokenizer to the model's tokenizer.json",
    );
  }
  const tokenizer = tokenizerFile ? loadTokenizer(tokenizerFile, suiteFile) : undefined;
  const prompts = tokenizer ? promptEncoder(tokenizer, options.chatTemplate, suiteFile) : undefined;
  const stopTokenIds = options.stopTokenIds ?? tokenizer?.eosTokenIds;
  const configs = new Map(variants.map((variant) => [variant.modelPath, readModelConfig(variant.modelPath)]));
  const configOf = (variant: TaskVariant) => configs.get(variant.modelPath) ?? readModelConfig(variant.modelPath);
  const workload = suite.workload ? new WorkloadPlan(suite.workload, suiteFile) : undefined;
  workload?.checkExampleIds(
    examples.map((e) => e.id),
    suite.dataset ?? suiteFile,
  );
  const tests = workload ? { workload: workload.testsById() } : {};
  return {
    spec: { kind: 'generate', maxNewTokens: options.maxNewTokens, stopTokenIds: stopTokenIds ?? [], ...tests },
    specFor: (variant) => {
      const config = configOf(variant);
      const cache = Object.keys(config.cache).length > 0 ? { cache: config.cache } : {};
      return { kind: 'generate', maxNewTokens: options.maxNewTokens, stopTokenIds: stopTokenIds ?? config.eosTokenIds, ...cache, ...tests };
    },
    ...(workload ? { syntheticExamples: (variant: TaskVariant) => workload.examples(variant, configOf(variant)) } : {}),
    modelMetrics: (variant) => ({ kvCacheBytesPerToken: kvCacheBytesPerToken(variant, configOf(variant)) }),
    ...(tokenizer ? { tokenizer } : {}),
    feeds: (example, variant, datasetFile) => {
      const ids =
        example.inputs?.input_ids !== undefined
          ? // Only input_ids comes from the line: the runner builds attention_mask, position_ids and the cache for each step.
            feedsForExample(
              example,
              variant.model.inputs.filter((input) => input.name === 'input_ids'),
              datasetFile,
              variant.variant.name,
            ).input_ids!.data
          : prompts!.encode(example, `${datasetFile}:${example.line}`);
      if (ids.length === 0)
        throw new ConfigError(
          `${datasetFile}:${example.line}`,
          example.messages ? 'messages' : example.prompt !== undefined ? 'prompt' : 'text',
          'the prompt encodes to no tokens',
          'give every example a non-empty prompt',
        );
      if (example.inputs?.input_ids === undefined) checkTokenizerFitsModel(ids, variant, tokenizer!, `${datasetFile}:${example.line}`);
      return { input_ids: { type: 'int64', dims: [1, ids.length], data: ids } };
    },
  };
};

/** A tokenizer from another model encodes ids the model's embedding does not have: onnxruntime would fail mid-run. */
function checkTokenizerFitsModel(ids: readonly number[], variant: TaskVariant, tokenizer: TextTokenizer, where: string): void {
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
