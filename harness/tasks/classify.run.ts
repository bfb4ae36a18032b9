import { argmax } from '../stats/argmax.ts';
import { timedRun, type TaskRunnerFactory } from './task.ts';

/** One forward pass; the first output holds the class logits of a one-example batch. */
export const classifyTask: TaskRunnerFactory<'classify'> = (session) => {
  const logitsName = session.outputs[0]!.name;
  return {
    async iterate(example, wantOutput) {
      const { outputs, latencyMs } = await timedRun(session, example.feeds);
      if (!wantOutput) return { latencyMs };
      const logits = Array.from(outputs[logitsName]!.data as Float32Array);
      return { latencyMs, output: { kind: 'classify', classIndex: argmax(logits), logits } };
    },
  };
};
