import type { TaskSpec } from '../../core/runner-protocol.ts';
import { classifyTask } from './classify.ts';
import { embedTask } from './embed.ts';
import { forwardTask } from './forward.ts';
import { generateTask } from './generate.ts';
import type { TaskRunnerFactory } from './task.ts';

/** Every task adapter, by the `task` it serves in a suite. */
export const taskRunners = {
  classify: classifyTask,
  forward: forwardTask,
  embed: embedTask,
  generate: generateTask,
} as const satisfies { [K in TaskSpec['kind']]: TaskRunnerFactory<K> };
