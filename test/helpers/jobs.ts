import type { RunPlan } from '../../harness/plan/plan.ts';
import type { RunnerJob } from '../../harness/core/runner-protocol.ts';

/** A short classify job on the plan's first variant, as the device tests run it: 2 warm-up and 15 timed iterations, one thread. */
export function classifyJob(plan: RunPlan, overrides: Partial<RunnerJob> = {}): RunnerJob {
  return {
    modelPath: plan.variants[0]!.modelPath,
    task: { kind: 'classify' },
    warmup: 2,
    iterations: 15,
    runtime: { intraOpThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential' },
    examples: plan.variants[0]!.examples,
    ...overrides,
  };
}
