import type { Suite } from '../core/suite.ts';
import { taskPlanners } from '../tasks/plan-registry.ts';
import type { TaskPlan } from '../tasks/task.ts';
import type { Dataset } from './dataset.ts';
import type { ResolvedVariant } from './resolve-variant.ts';

/** The suite's task, planned for its readable variants and its dataset (harness/tasks/<task>.plan.ts). */
export async function planTask(suite: Suite, suiteFile: string, variants: ResolvedVariant[], dataset: Dataset): Promise<TaskPlan> {
  return await taskPlanners[suite.task]({ suite, suiteFile, variants, examples: dataset.examples });
}
