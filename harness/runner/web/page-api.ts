import type { RunnerEvent, RunnerJob } from '../../core/runner-protocol.ts';
import type { RuntimeIdentity } from '../../core/runtime.ts';

/**
 * The contract between the browser driver and the runner page. The driver calls
 * these through WebdriverIO; every call returns at once (the page's work runs in
 * the background), and the driver pulls the events the page has accumulated.
 */
export interface PageRunner {
  /** Configures the job's runtime and builds the input tensors; nothing is loaded yet. */
  prepare(job: PageJob): PageInfo;
  /**
   * Starts the runtime itself where it can start without a model (onnxruntime-web compiles and instantiates its
   * WebAssembly), as the Node.js runner starts its runtime before the load timer and memory baseline; state becomes
   * 'started' or 'failed' (with a MODEL_LOAD_FAILED error event).
   */
  start(): void;
  /** Starts loading the model; state becomes 'loaded' or 'failed' (with a MODEL_LOAD_FAILED error event). */
  load(): void;
  /** Starts the warm-up and timed loops; state becomes 'finished' or 'failed'. */
  run(): void;
  /** The events since the last pull; the samples measured so far are flushed into them. */
  pull(): PagePull;
}

/** The name under which the page exposes its PageRunner on globalThis. */
export const PAGE_RUNNER_GLOBAL = 'edgebenchRunner';
/** Set by the page when its runtime's module or the runner failed to load. */
export const PAGE_ERROR_GLOBAL = 'edgebenchPageError';

/** What the page's runtime is configured with, whichever it is. */
export interface PageRuntimeSettings {
  /** Folder URL of the runtime's .mjs and .wasm files. */
  wasmPaths: string;
  /** WebAssembly threads: onnxruntime-web's env.wasm.numThreads, wllama's n_threads. */
  threads: number;
  /** A GGUF model's training context length, read from its header by the driver (wllama sizes its context by it). */
  contextLength?: number;
}

export interface PageJob extends PageRuntimeSettings {
  job: RunnerJob;
  /** Absolute http URLs, served by the driver on 127.0.0.1. */
  modelUrl: string;
  /** External data: the location as the model names it, and the URL that serves it. */
  externalData: { path: string; data: string }[];
}

export interface PageInfo {
  runtime: RuntimeIdentity;
  crossOriginIsolated: boolean;
}

export type PageState = 'idle' | 'prepared' | 'starting' | 'started' | 'loading' | 'loaded' | 'running' | 'finished' | 'failed';

export interface PagePull {
  state: PageState;
  /** Only 'samples', 'output' and 'error' events: the driver adds what the page cannot measure (memory, versions). */
  events: RunnerEvent[];
  /** Set once the model has loaded: performance.now() around the runtime's load. */
  loadMs?: number;
}
