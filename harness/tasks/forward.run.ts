import { timedRun, type TaskRunnerFactory } from './task.ts';

/** One forward pass; outputs are not interpreted (pure latency, any model). */
export const forwardTask: TaskRunnerFactory<'forward'> = (session) => ({
  async iterate(example) {
    const { latencyMs } = await timedRun(session, example.feeds);
    return { latencyMs };
  },
});
