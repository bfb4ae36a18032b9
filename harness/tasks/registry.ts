import type { TaskKind } from '../core/suite.ts';
import { classifyTask } from './classify.run.ts';
import { embedTask } from './embed.run.ts';
import { forwardTask } from './forward.run.ts';
import { generateTask } from './generate.run.ts';
import { perplexityTask } from './perplexity.run.ts';
import type { TaskRunnerFactory } from './task.ts';

/**
 * The runner side of every task, by the `task` it serves in a suite. Only
 * *.run.ts files here: this table is in the runner bundles (the plan side is
 * in plan-registry.ts).
 */
export const taskRunners = {
  classify: classifyTask,
  forward: forwardTask,
  embed: embedTask,
  generate: generateTask,
  perplexity: perplexityTask,
} as const satisfies { [K in TaskKind]: TaskRunnerFactory<K> };
