import type { TaskKind } from '../core/suite.ts';
import { classifyPlan } from './classify.plan.ts';
import { embedPlan } from './embed.plan.ts';
import { forwardPlan } from './forward.plan.ts';
import { generatePlan } from './generate.plan.ts';
import { perplexityPlan } from './perplexity.plan.ts';
import type { TaskPlanner } from './task.ts';

/** The plan side of every task, by the `task` it serves in a suite (the runner side is in registry.ts). */
export const taskPlanners = {
  classify: classifyPlan,
  forward: forwardPlan,
  embed: embedPlan,
  generate: generatePlan,
  perplexity: perplexityPlan,
} as const satisfies Record<TaskKind, TaskPlanner>;
