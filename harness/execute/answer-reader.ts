import type { ExampleOutput } from '../core/runner-protocol.ts';
import type { RunPlan } from '../plan/plan.ts';

/** Puts a runner output in words: the class label, or the decoded generated text. */
export function answerReader(plan: Pick<RunPlan, 'task'>): (output: ExampleOutput) => string | undefined {
  return (output) => {
    if (output.kind === 'classify') return plan.task.labels?.[output.classIndex] ?? String(output.classIndex);
    if (output.kind === 'generate') return plan.task.tokenizer?.decode(output.tokenIds);
    return undefined;
  };
}
