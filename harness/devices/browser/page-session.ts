import type { ChromiumBrowser } from '../../browser/chromium.ts';
import type { RunnerEvent } from '../../core/runner-protocol.ts';
import type { RuntimeIdentity } from '../../core/runtime.ts';
import { PAGE_ERROR_GLOBAL, PAGE_RUNNER_GLOBAL, type PageJob, type PagePull, type PageRunner } from '../../runner/web/page-api.ts';
import { PAGE_PATHS } from './page.ts';
import type { PageMemory } from './renderer.ts';

/** How often the driver pulls the page's events: progress streams, and little is lost if the page dies. */
const PULL_INTERVAL_MS = 250;
/** Waiting for the runtime's start or the model's load, which stream nothing, the driver asks more often: it only waits for the state. */
const STATE_PULL_INTERVAL_MS = 50;
const PAGE_START_TIMEOUT_MS = 30_000;
const RENDERER_CHECK_MS = 100;

/**
 * Why a cell ended other than through the page's own error event: the browser
 * could not be set up, went away, or the runner page threw. `code` becomes the cell's error code.
 */
export class DeviceFailure extends Error {
  constructor(
    readonly code: 'DEVICE_UNAVAILABLE' | 'DEVICE_LOST' | 'RUNNER_CRASHED',
    message: string,
  ) {
    super(message);
  }
}

/** The cell was stopped from outside (timeout or Ctrl-C). */
export class Stopped extends Error {}

type Globals = Record<string, unknown>;

/** An open browser session the runner page runs in, whoever opened it (chromedriver, an Appium server). */
export interface PageBrowser {
  browser: ChromiumBrowser;
  /** The browser's name in results: "Chromium", "Chrome", "Safari". */
  name: string;
  memory: PageMemory;
  /** Applies a CPU throttling rate to the page (CDP Emulation.setCPUThrottlingRate). */
  throttle(rate: number): Promise<unknown>;
  /** Why the session is gone although the browser may not say so (the Appium server in between died). */
  lost?(): string | undefined;
}

/**
 * Runs one job on the runner page in an open Chromium, emitting RunnerEvents as
 * the Node.js runner would: hello, loaded, samples and outputs, memory, done (or
 * the page's error event). The page measures latency; the driver adds what a
 * page cannot see (versions, the renderer's memory). Returns when the page has
 * finished or failed; throws DeviceFailure if the browser or page goes away, Stopped if `stop` fires.
 */
export async function drivePage(input: {
  page: PageBrowser;
  origin: string;
  pageJob: PageJob;
  cpuThrottling: number;
  stop: AbortSignal;
  emit(event: RunnerEvent): void;
}): Promise<void> {
  const { page, origin, pageJob, stop, emit } = input;
  const { browser, memory } = page;

  // Every call to the browser races the stop signal and the renderer's death: a crashed page may never answer.
  const guard = <T>(work: Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const settle = (finish: () => void) => {
        clearInterval(watch);
        stop.removeEventListener('abort', onStop);
        finish();
      };
      const onStop = () => settle(() => reject(new Stopped('stopped')));
      const watch = setInterval(() => {
        const gone = memory.exited();
        const lost = page.lost?.();
        if (gone !== undefined) settle(() => reject(rendererGone(gone)));
        else if (lost) settle(() => reject(new DeviceFailure('DEVICE_LOST', lost)));
      }, RENDERER_CHECK_MS);
      if (stop.aborted) return onStop();
      stop.addEventListener('abort', onStop, { once: true });
      work.then(
        (value) => settle(() => resolve(value)),
        (error: unknown) => {
          const gone = memory.exited();
          settle(() =>
            reject(gone !== undefined ? rendererGone(gone) : new DeviceFailure('DEVICE_LOST', `${page.name} stopped answering: ${firstLine(error)}`)),
          );
        },
      );
    });
  const pause = (ms: number) => guard(new Promise<void>((resolve) => setTimeout(resolve, ms)));
  // Arguments and results cross as JSON text: WebdriverIO's own serialisation of a 1 kB job object took 4-6 s here.
  const call = async <M extends keyof PageRunner>(method: M, ...arg: Parameters<PageRunner[M]>): Promise<ReturnType<PageRunner[M]>> => {
    const text = await guard(
      browser.execute(
        (name: string, method: string, argument: string) => {
          const runner = (globalThis as Globals)[name] as Record<string, (value: unknown) => unknown>;
          try {
            return JSON.stringify({ value: runner[method]!(JSON.parse(argument)) ?? null });
          } catch (error) {
            return JSON.stringify({ error: String((error as Error)?.stack ?? error) });
          }
        },
        PAGE_RUNNER_GLOBAL,
        method as string,
        JSON.stringify(arg[0] ?? null),
      ),
    );
    const answer = JSON.parse(text) as { value: ReturnType<PageRunner[M]> } | { error: string };
    if ('error' in answer) throw new DeviceFailure('RUNNER_CRASHED', `the runner page failed in ${method}(): ${answer.error.split('\n')[0]}`);
    return answer.value;
  };
  const pull = () => call('pull');

  await guard(browser.url(`${origin}${PAGE_PATHS.page}`));
  const startedAt = Date.now();
  for (;;) {
    const page = await guard(
      browser.execute(
        (runner: string, error: string) => ({ ready: runner in globalThis, error: (globalThis as Globals)[error] as string | undefined }),
        PAGE_RUNNER_GLOBAL,
        PAGE_ERROR_GLOBAL,
      ),
    );
    if (page.ready) break;
    if (page.error || Date.now() - startedAt > PAGE_START_TIMEOUT_MS) {
      throw new DeviceFailure('DEVICE_UNAVAILABLE', `the runner page did not start: ${page.error ?? `not ready after ${PAGE_START_TIMEOUT_MS / 1000} s`}`);
    }
    await pause(50);
  }
  const info = await call('prepare', pageJob);
  if (!info.crossOriginIsolated)
    throw new DeviceFailure(
      'DEVICE_UNAVAILABLE',
      'the runner page is not cross-origin isolated: WebAssembly threads and a 5 us performance.now() are unavailable (the page must be opened at http://127.0.0.1 or localhost, or over https)',
    );
  // The runtime starts before the memory baseline and the load timer, as in the Node.js runner, so load time and
  // model memory are the model's own. Nothing of the start is measured, so it runs before the CPU is throttled.
  try {
    memory.beforeStart();
  } catch (error) {
    throw new DeviceFailure('DEVICE_UNAVAILABLE', (error as Error).message);
  }
  await call('start');
  const loadEvents: RunnerEvent[] = [];
  let state = await pullUntil(['started', 'failed'], (event) => loadEvents.push(event), STATE_PULL_INTERVAL_MS);
  if (state.state !== 'failed') {
    if (input.cpuThrottling !== 1) await guard(page.throttle(input.cpuThrottling));
    try {
      memory.beforeLoad();
    } catch (error) {
      throw new DeviceFailure('DEVICE_UNAVAILABLE', (error as Error).message);
    }
    await call('load');
    state = await pullUntil(['loaded', 'failed'], (event) => loadEvents.push(event), STATE_PULL_INTERVAL_MS);
  }
  let loaded: ReturnType<PageMemory['afterLoad']>;
  try {
    loaded = memory.afterLoad();
  } catch (error) {
    // A load that failed fast (a truncated file) may leave too little work to tell the page's renderer apart:
    // the load failure is then the cell's result, and there is no loaded model whose memory to measure.
    if (state.state !== 'failed') throw new DeviceFailure('DEVICE_UNAVAILABLE', (error as Error).message);
    loaded = {};
  }
  emit({
    type: 'hello',
    node: `${page.name} ${browser.capabilities.browserVersion ?? 'unknown'}`,
    runtime: info.runtime,
    platform: 'browser',
    arch: 'wasm32',
    ...(loaded.pid !== undefined ? { pid: loaded.pid } : {}),
  });
  for (const event of loadEvents) emit(event);
  if (state.state === 'failed') return;
  emit({
    type: 'loaded',
    loadMs: state.loadMs ?? 0,
    ...(loaded.rssBeforeLoad ? { rssBeforeLoad: loaded.rssBeforeLoad } : {}),
    ...(loaded.rssAfterLoad ? { rssAfterLoad: loaded.rssAfterLoad } : {}),
  });

  await call('run');
  state = await pullUntil(['finished', 'failed'], emit);
  if (state.state === 'failed') return;
  const peak = await guard(Promise.resolve(memory.peak()));
  if (peak !== undefined) emit({ type: 'memory', peakRss: peak });
  emit({ type: 'done' });

  async function pullUntil(states: PagePull['state'][], onEvent: (event: RunnerEvent) => void, interval = PULL_INTERVAL_MS): Promise<PagePull> {
    for (;;) {
      const pulled = await pull();
      for (const event of pulled.events) onEvent(event);
      if (states.includes(pulled.state)) return pulled;
      await pause(interval);
    }
  }
}

/** The page's runtime and throttling in words, for a cell's constraints; `route` says how the rate reached the page. */
export function describePage(runtime: RuntimeIdentity, threads: number, cpuThrottling: number, route = ''): string {
  const throttling =
    cpuThrottling === 1
      ? 'no CPU throttling'
      : `CPU throttling ${cpuThrottling}x (CDP Emulation.setCPUThrottlingRate${route}; nominal: the measured slowdown varies, compare latencies)`;
  return `${runtime.name} ${runtime.version} WebAssembly (SIMD), ${threads} thread${threads === 1 ? '' : 's'}, ${throttling}`;
}

function rendererGone(pid: number): DeviceFailure {
  return new DeviceFailure(
    'DEVICE_LOST',
    `the page's renderer process (pid ${pid}) exited mid-cell: the page crashed or was killed (the kernel's OOM killer ends renderers that run out of memory)`,
  );
}

/** The first line of an error's message (at most 300 characters), for a cell's error message. */
export function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 300);
}
