/**
 * A task is what the model does with each example (classify, generate, ...).
 * Each has two sides, in two files: <kind>.plan.ts turns the suite and its
 * dataset into runner jobs before anything runs (plan-registry.ts), and
 * <kind>.run.ts drives a RuntimeSession inside the runner (registry.ts). The
 * sides have separate tables so the runner bundle holds no plan-side code.
 */
import type { Suite, TaskKind } from '../core/suite.ts';
import type { ExampleOutput, RunnerExample, TaskSpec, TensorSpec } from '../core/runner-protocol.ts';
import type { CellResult } from '../core/results.ts';
import type { ModelValueInfo } from '../onnx/model-file.ts';
import type { RuntimeSession } from '../runtimes/runtime.ts';
import type { NamedTensors } from '../runtimes/tensor.ts';
import { elapsedMs, nowMs } from './clock.ts';
import type { ChatMessage } from './chat-template.ts';
import type { TextTokenizer } from './tokenizer.ts';

// ---- runner side

export interface PreparedExample {
  id: string;
  /** In the runtime's own form (RuntimeSession.prepare), built before timing starts. */
  feeds: NamedTensors;
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
 * How one timed iteration drives the model, and what it records. Each task
 * times its own RuntimeSession.run calls, so work that is not inference
 * (reading outputs, building the next step's inputs) stays outside the timed spans.
 */
export interface TaskRunner {
  iterate(example: PreparedExample, wantOutput: boolean): Promise<IterationResult>;
}

export type TaskRunnerFactory<K extends TaskKind = TaskKind> = (session: RuntimeSession, spec: Extract<TaskSpec, { kind: K }>) => TaskRunner;

/** One timed RuntimeSession.run: the span single-pass tasks measure. */
export async function timedRun(session: RuntimeSession, feeds: NamedTensors): Promise<{ outputs: NamedTensors; latencyMs: number }> {
  const start = nowMs();
  const outputs = await session.run(feeds);
  return { outputs, latencyMs: elapsedMs(start) };
}

// ---- plan side

/** A dataset line as a task reads it. */
export interface TaskExample {
  id: string;
  /** 1-based line in the dataset file, for error messages. */
  line: number;
  /** Model inputs as written on the line; absent when the line gives text for a tokenizer. */
  inputs?: Record<string, unknown>;
  text?: string;
  /** generate: one user message, or a conversation, for the chat template. */
  prompt?: string;
  messages?: readonly ChatMessage[];
}

/** A variant as a task plans for it: its model's declared inputs and outputs. */
export interface TaskVariant {
  variant: { name: string };
  modelPath: string;
  model: { inputs: readonly ModelValueInfo[]; outputs: readonly ModelValueInfo[] };
}

export interface TaskPlanContext {
  suite: Suite;
  suiteFile: string;
  /** The variants whose models could be read. */
  variants: readonly TaskVariant[];
  examples: readonly TaskExample[];
}

/** How the suite's task turns into runner jobs, and what scoring needs to read their outputs. */
export interface TaskPlan {
  spec: TaskSpec;
  /** The spec of one variant's runner jobs, where it depends on the variant's model (generate: its KV cache layout); spec otherwise. */
  specFor?(variant: TaskVariant): TaskSpec;
  tokenizer?: TextTokenizer;
  /** classify: class names in logit order. */
  labels?: string[];
  feeds(example: TaskExample, variant: TaskVariant, datasetFile: string): Record<string, TensorSpec>;
  /** Examples the task adds to the dataset's for a variant (generate: one per synthetic workload test). */
  syntheticExamples?(variant: TaskVariant): RunnerExample[];
  /** Metrics of a variant's cells known from its model before it runs (generate: KV cache bytes per token, from the graph). */
  modelMetrics?(variant: TaskVariant): Partial<CellResult['metrics']>;
}

/** Throws ConfigError (or ConfigErrors) for a suite the task cannot run. */
export type TaskPlanner = (context: TaskPlanContext) => TaskPlan;
