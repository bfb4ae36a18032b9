/**
 * The runner inside a web page: the same tasks as the Node.js runner
 * (child.ts), on a runtime the page can hold (onnxruntime-web, wllama). Events
 * accumulate in the page until the driver pulls them, so what was measured
 * survives a page that crashes later. Bundled for the browser by bundle.ts.
 */
import type { RunnerEvent } from '../../core/runner-protocol.ts';
import type { RuntimeName } from '../../core/runtime.ts';
import { onnxruntimeWeb } from '../../runtimes/onnxruntime-web.ts';
import { runtimes, type RuntimesOf } from '../../runtimes/registry.ts';
import { runtimeFailure, type Runtime, type RuntimeSession } from '../../runtimes/runtime.ts';
import { tensorFromSpec, type NamedTensors } from '../../runtimes/tensor.ts';
import { wllamaRuntime } from '../../runtimes/wllama.ts';
import { elapsedMs, nowMs } from '../../tasks/clock.ts';
import { taskRunners } from '../../tasks/registry.ts';
import type { PreparedExample, TaskRunner, TaskRunnerFactory } from '../../tasks/task.ts';
import { PAGE_RUNNER_GLOBAL, type PageJob, type PageRunner, type PageRuntimeSettings, type PageState } from './page-api.ts';
import { SampleBatcher } from './sample-batcher.ts';

/** The runtimes the page holds: every runtime the registry places in the runner page. */
const webRuntimes = { 'onnxruntime-web': onnxruntimeWeb, wllama: wllamaRuntime } satisfies Record<
  RuntimesOf<'web'>,
  (settings: PageRuntimeSettings) => Runtime
>;
const DEFAULT_RUNTIME: RuntimesOf<'web'> = 'onnxruntime-web';

function runtimeNamed(name: RuntimeName, settings: PageRuntimeSettings): Runtime {
  if (!(name in webRuntimes))
    throw new Error(`runtime ${name} (${runtimes[name].description}) does not run in a web page: it runs on ${runtimes[name].hosts.join(', ')} devices`);
  return webRuntimes[name as RuntimesOf<'web'>](settings);
}

/** How often the loop hands the page's main thread back, so the driver's pulls get in (outside timed spans). */
const YIELD_INTERVAL_MS = 50;

let state: PageState = 'idle';
let loadMs: number | undefined;
let pageJob: PageJob;
let runtime: Runtime;
let feeds: { id: string; feeds: NamedTensors }[] = [];
let examples: PreparedExample[] = [];
let session: RuntimeSession | undefined;
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
    runtime = runtimeNamed(job.job.runtime.name ?? DEFAULT_RUNTIME, job);
    feeds = job.job.examples.map((example) => ({
      id: example.id,
      feeds: Object.fromEntries(Object.entries(example.feeds).map(([name, spec]) => [name, tensorFromSpec(spec)])),
    }));
    state = 'prepared';
    return { runtime: { name: runtime.name, version: runtime.version() }, crossOriginIsolated: globalThis.crossOriginIsolated };
  },

  start() {
    state = 'starting';
    (runtime.start?.() ?? Promise.resolve())
      .then(() => {
        state = 'started';
      })
      .catch((error: unknown) => fail('MODEL_LOAD_FAILED', runtimeFailure(runtime, 'load', error)));
  },

  load() {
    state = 'loading';
    const start = nowMs();
    runtime
      .load({ location: pageJob.modelUrl, externalData: pageJob.externalData }, pageJob.job.runtime)
      .then((created) => {
        loadMs = elapsedMs(start);
        session = created;
        examples = feeds.map((example) => ({ id: example.id, feeds: created.prepare(example.feeds) }));
        state = 'loaded';
      })
      .catch((error: unknown) => fail('MODEL_LOAD_FAILED', runtimeFailure(runtime, 'load', error)));
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
    })().catch((error: unknown) => fail('INFERENCE_FAILED', runtimeFailure(runtime, 'run', error)));
  },

  pull() {
    batcher.flush();
    const pulled = events.splice(0, events.length);
    return { state, events: pulled, ...(loadMs !== undefined ? { loadMs } : {}) };
  },
};

(globalThis as Record<string, unknown>)[PAGE_RUNNER_GLOBAL] = runner;
