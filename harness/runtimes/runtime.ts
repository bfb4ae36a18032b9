import type { RuntimeName, RuntimeOptions } from '../core/runtime.ts';
import type { NamedTensors } from './tensor.ts';

/** One input or output of a loaded model. */
export interface ValueDescription {
  name: string;
  /** Element type (float32, float16, int64, ...): the precision the value is computed in; undefined for a value that is not a tensor. */
  type: string | undefined;
  /** Declared shape: a number per fixed dimension, a name per symbolic one; undefined when the model does not say. */
  shape: readonly (number | string)[] | undefined;
}

/** Where the model is: a file path for a runtime in a Node.js runner, a URL in a web page. */
export interface ModelSource {
  location: string;
  /** External data files, as the model names them and where they are served (web pages, which cannot read beside the model). */
  externalData?: { path: string; data: string }[];
}

/** What a step asks for beyond the outputs every step gives. */
export interface RunOptions {
  /**
   * The logits of every input position, not only of the last: what perplexity scores. ONNX decoders give every
   * position anyway; llama.cpp computes only the positions asked for, so a decode step does not pay for the rest.
   */
  everyPosition?: boolean;
}

/** A loaded model: what it takes and gives, and one step of inference. */
export interface RuntimeSession {
  readonly inputs: readonly ValueDescription[];
  readonly outputs: readonly ValueDescription[];
  /**
   * The feeds in the runtime's own form. run() accepts any Tensor, but converts
   * those it did not make: tasks prepare feeds before the timed span, so the
   * span holds inference only.
   */
  prepare(feeds: NamedTensors): NamedTensors;
  /** One inference step on named tensors; the result holds every output by name. */
  run(feeds: NamedTensors, options?: RunOptions): Promise<NamedTensors>;
  release(): Promise<void>;
}

/**
 * An inference runtime: what loads a variant and runs it. The tasks
 * (harness/tasks/) drive a RuntimeSession and know nothing of the runtime
 * behind it; harness/runtimes/registry.ts says which devices host each one.
 */
export interface Runtime {
  readonly name: RuntimeName;
  /** The runtime's own version, recorded with every cell it runs. */
  version(): string;
  /**
   * Starts the runtime itself (a native library that loads and self-tests on
   * first use), before the runner's memory baseline and load timer, so load
   * time and model memory are the model's own as they are for a runtime loaded with its module.
   */
  start?(): Promise<void>;
  load(model: ModelSource, options: RuntimeOptions): Promise<RuntimeSession>;
}

/**
 * A load or run failure worded with the runtime and its version: onnxruntime's own message names the operator
 * or data type it lacks, and the cell that records it then says which runtime refused.
 */
export function runtimeFailure(runtime: Runtime, doing: 'load' | 'run', error: unknown): Error {
  const message = error instanceof Error ? error.message : String(error);
  return new Error(`${runtime.name} ${runtime.version()} cannot ${doing} this model: ${message}`);
}
