import { describe, expect, it } from 'vitest';
import type { RunnerJob } from '../../harness/core/runner-protocol.ts';
import { withInstructionCount } from '../../harness/instructions/count-instructions.ts';
import type { RunnerOutcome } from '../../harness/runner/spawn.ts';

// A native llama.cpp process as its runner reports it: callgrind collects only inside onnxruntime-node's Run,
// so counting it would record 0 instructions as measured.
const native = (runtime: 'llama.cpp' | 'onnxruntime-node'): RunnerOutcome => ({
  events: [
    { type: 'hello', node: process.version, runtime: { name: runtime, version: '3.21.1' }, platform: 'linux', arch: 'x64' },
    { type: 'samples', phase: 'timed', firstIteration: 0, exampleIds: ['p'], latenciesMs: [12] },
    { type: 'done' },
  ],
  exitCode: 0,
  signal: undefined,
  timedOut: false,
  canceled: false,
  stderrTail: '',
  strayLines: [],
});
const job: RunnerJob = {
  modelPath: 'model.gguf',
  task: { kind: 'generate', maxNewTokens: 4 } as RunnerJob['task'],
  warmup: 1,
  iterations: 5,
  runtime: { name: 'llama.cpp', graphOptimizationLevel: 'all', executionMode: 'sequential' } as RunnerJob['runtime'],
  examples: [{ id: 'p', feeds: {} }],
  countInstructions: true,
};

describe('counting instructions of a runtime other than onnxruntime-node', () => {
  it('is unavailable with the reason, and runs no callgrind process', async () => {
    const events: unknown[] = [];
    const outcome = await withInstructionCount(native('llama.cpp'), { file: '/nonexistent/node', args: [] }, job, {
      timeoutMs: 60_000,
      onEvent: (e) => events.push(e),
    });
    const counted = outcome.events.at(-1);
    expect(counted).toEqual({ type: 'instructions', unavailable: expect.stringMatching(/^not counted for llama\.cpp: .*InferenceSessionWrap::Run/) });
    expect(events).toEqual([counted]);
  });
});
