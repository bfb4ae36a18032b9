import type * as ort from 'onnxruntime-node';
import { elapsedMs, nowMs } from '../clock.ts';
import type { ExampleOutput, TaskSpec } from '../../core/runner-protocol.ts';

export interface PreparedExample {
  id: string;
  feeds: Record<string, ort.Tensor>;
}

export interface IterationResult {
  /** The whole iteration: one forward pass, or a whole generation. */
  latencyMs: number;
  ttftMs?: number;
  decodeMs?: number[];
  /** Present when the caller asked for the example's output. */
  output?: ExampleOutput;
}

/**
 * A task adapter: how one timed iteration drives the model, and what it records.
 * Each adapter times its own session.run calls, so work that is not inference
 * (reading outputs, building the next step's inputs) stays outside the timed spans.
 */
export interface TaskRunner {
  iterate(example: PreparedExample, wantOutput: boolean): Promise<IterationResult>;
}

export type TaskRunnerFactory<K extends TaskSpec['kind'] = TaskSpec['kind']> = (session: ort.InferenceSession, spec: Extract<TaskSpec, { kind: K }>) => TaskRunner;

/** One timed session.run: the span single-pass tasks measure. */
export async function timedRun(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>): Promise<{ outputs: ort.InferenceSession.ReturnType; latencyMs: number }> {
  const start = nowMs();
  const outputs = await session.run(feeds);
  return { outputs, latencyMs: elapsedMs(start) };
}
