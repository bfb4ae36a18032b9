import { join } from 'node:path';
import { ConfigError } from '../config/errors.ts';
import type { RunPlan } from '../plan/plan.ts';
import { baselineOptionsFromEnv, fetchBaselineAnswers } from './openai-compatible.ts';

/** Where cached cloud answers live: inside the project, so CI can cache and replay them. */
export const BASELINE_CACHE_DIR = join('.cache', 'baselines');

/**
 * Fetches (or replays from the cache) the cloud baseline's answers before any
 * device runs, so a missing key or an unreachable endpoint stops the run early.
 * recorded and reference baselines need nothing here.
 */
export async function loadBaselineAnswers(plan: RunPlan, options: { log?: (line: string) => void; env?: NodeJS.ProcessEnv } = {}): Promise<void> {
  const spec = plan.suite.baseline;
  if (spec?.provider !== 'openai-compatible') return;
  const prompts = plan.dataset.examples.map((example) => {
    const prompt = example.text ?? example.prompt;
    if (prompt === undefined)
      throw new ConfigError(
        `${plan.dataset.file}:${example.line}`,
        'text',
        'the openai-compatible baseline sends each example\'s "text" or "prompt" as the prompt, and this line has neither',
        'add the prompt as "text"',
      );
    return { exampleId: example.id, prompt };
  });
  const endpoint = baselineOptionsFromEnv(options.env ?? process.env, spec);
  const answers = await fetchBaselineAnswers(prompts, {
    ...endpoint,
    cacheDir: BASELINE_CACHE_DIR,
    maxTokens: spec.maxTokens,
    offline: spec.offline,
    onRetry: ({ exampleId, attempt, waitMs, reason }) =>
      options.log?.(`baseline: ${exampleId}: ${reason}; retry ${attempt} in ${(waitMs / 1000).toFixed(1)} s`),
  });
  const cached = answers.filter((a) => a.cached).length;
  options.log?.(`baseline: ${answers.length} answers from ${spec.model} (${cached} from the cache in ${BASELINE_CACHE_DIR})`);
  plan.baselineAnswers = new Map(answers.map((a) => [a.exampleId, a.answer]));
}
