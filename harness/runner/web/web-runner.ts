/**
 * The runner inside a web page: the same task adapters as the Node.js runner
 * (child.ts), on onnxruntime-web. Events accumulate in the page until the
 * driver pulls them, so what was measured survives a page that crashes later.
 * Bundled for the browser by bundle.ts, with onnxruntime-node swapped for ort-shim.ts.
 */
import * as ort from 'onnxruntime-node';
import { elapsedMs, nowMs } from '../clock.ts';
import type { RunnerEvent } from '../../core/runner-protocol.ts';
import { taskRunners } from '../tasks/registry.ts';
import type { PreparedExample, TaskRunner, TaskRunnerFactory } from '../tasks/task.ts';
import { toOrtTensor } from '../tensors.ts';
import { PAGE_RUNNER_GLOBAL, type PageJob, type PageRunner, type PageState } from './page-api.ts';
import { SampleBatcher } from './sample-batcher.ts';

/** How often the loop hands the page's main thread back, so the driver's pulls get in (outside timed spans). */
const YIELD_INTERVAL_MS = 50;

let state: PageState = 'idle';
let loadMs: number | undefined;
let pageJob: PageJob;
let examples: PreparedExample[] = [];
let session: ort.InferenceSession | undefined;
const events: RunnerEvent[] = [];
const batcher = new SampleBatcher((event) => events.push(event));

function fail(code: string, error: unknown): void {
  batcher.flush();
  events.push({ type: 'error', code, message: error instanceof Error ? error.message : String(error) });
  state = 'failed';
}

// session.run on one WebAssembly thread resolves through microtasks only: without
// a macrotask now and then, the driver's scripts would wait for the whole loop.
const channel = new MessageChannel();
const yieldToPage = () =>
  new Promise<void>((resolve) => {
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(null);
  });

async function timedLoop(count: number, phase: 'warmup' | 'timed', task: TaskRunner): Promise<void> {
  let lastYield = nowMs();
  batcher.start(phase);
  for (let i = 0; i < count; i++) {
    const example = examples[i % examples.length]!;
    const result = await task.iterate(example, phase === 'timed' && i < examples.length);
    batcher.add(i, example.id, result);
    if (result.output) events.push({ type: 'output', exampleId: example.id, output: result.output });
    if (nowMs() - lastYield >= YIELD_INTERVAL_MS) {
      await yieldToPage();
      lastYield = nowMs();
    }
  }
  batcher.flush();
}

const runner: PageRunner = {
  prepare(job) {
    pageJob = job;
    ort.env.wasm.wasmPaths = job.wasmPaths;
    ort.env.wasm.numThreads = job.threads;
    ort.env.logLevel = 'error';
    examples = job.job.examples.map((example) => ({
      id: example.id,
      feeds: Object.fromEntries(Object.entries(example.feeds).map(([name, spec]) => [name, toOrtTensor(spec)])),
    }));
    state = 'prepared';
    return { onnxruntime: ort.env.versions.web ?? ort.env.versions.common, crossOriginIsolated: globalThis.crossOriginIsolated };
  },

  load() {
    state = 'loading';
    const { graphOptimizationLevel, executionMode } = pageJob.job.runtime;
    const start = nowMs();
    // Threads come from env.wasm.numThreads: onnxruntime-web has no intra-/inter-op thread session options.
    ort.InferenceSession.create(pageJob.modelUrl, { executionProviders: ['wasm'], graphOptimizationLevel, executionMode, logSeverityLevel: 3, externalData: pageJob.externalData })
      .then((created) => {
        loadMs = elapsedMs(start);
        session = created;
        state = 'loaded';
      })
      .catch((error: unknown) => fail('MODEL_LOAD_FAILED', error));
  },

  run() {
    state = 'running';
    const { job } = pageJob;
    (async () => {
      const task = (taskRunners[job.task.kind] as TaskRunnerFactory)(session!, job.task);
      await timedLoop(job.warmup, 'warmup', task);
      await timedLoop(job.iterations, 'timed', task);
      // The session is not released: the page goes with its browser, and the peak is read while it is still whole.
      state = 'finished';
    })().catch((error: unknown) => fail('INFERENCE_FAILED', error));
  },

  pull() {
    batcher.flush();
    const pulled = events.splice(0, events.length);
    return { state, events: pulled, ...(loadMs !== undefined ? { loadMs } : {}) };
  },
};

(globalThis as Record<string, unknown>)[PAGE_RUNNER_GLOBAL] = runner;
