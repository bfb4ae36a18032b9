import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import type { z } from 'zod';
import { CHROMEDRIVER_BINARY, CHROMIUM_BINARY, openChromium, type ChromiumSession } from '../browser/chromium.ts';
import type { BrowserDeviceSpec } from '../config/device-spec.ts';
import type { RunnerEvent } from '../runner/protocol.ts';
import type { RunnerOutcome } from '../runner/spawn.ts';
import { PAGE_PATHS } from './browser/page.ts';
import { DeviceFailure, drivePage, Stopped } from './browser/page-session.ts';
import { startPageServer, type PageServer } from './browser/page-server.ts';
import { onnxruntimeWebVersion, runnerRoutes } from './browser/routes.ts';
import type { DeviceDriver } from './driver.ts';
import { hostFacts } from './local.ts';

type Spec = z.infer<typeof BrowserDeviceSpec>;

const binariesOf = (spec: Spec) => ({ chromium: spec.chromium ?? CHROMIUM_BINARY, chromedriver: spec.chromedriver ?? CHROMEDRIVER_BINARY });

/**
 * A web browser on this machine: each cell opens a fresh headless Chromium
 * (as the local driver starts a fresh process), serves it the runner page,
 * onnxruntime-web and the variant's files on 127.0.0.1, and runs the same task
 * adapters as the Node.js runner on onnxruntime-web's WebAssembly backend.
 */
export const browserDriver: DeviceDriver<Spec> = {
  kind: 'browser',

  async facts(spec) {
    const host = await hostFacts();
    return { ...host, source: `${host.source}; the model runs in a browser on it, as below`, constraints: await describe(spec) };
  },

  async unavailable(spec) {
    const missing = Object.values(binariesOf(spec)).filter((binary) => !existsSync(binary));
    return missing.length ? `${missing.join(' and ')} not found: install Debian's chromium and chromium-driver (bash scripts/setup.sh does), or set chromium/chromedriver in devices.yaml` : undefined;
  },

  async runCell(spec, job, context) {
    const events: RunnerEvent[] = [];
    const emit = (event: RunnerEvent) => {
      events.push(event);
      context.onEvent?.(event);
    };
    const stop = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      stop.abort();
    }, context.timeoutMs);
    const cancel = () => stop.abort();
    context.signal?.addEventListener('abort', cancel, { once: true });
    if (context.signal?.aborted) stop.abort();

    let server: PageServer | undefined;
    let chromium: ChromiumSession | undefined;
    let opening: Promise<ChromiumSession> | undefined;
    let failure: { code: string; message: string } | undefined;
    let finished = false;
    try {
      const binaries = binariesOf(spec);
      for (const [name, path] of Object.entries(binaries)) {
        if (!existsSync(path)) throw new DeviceFailure('DEVICE_UNAVAILABLE', `${name} not found at ${path}: install Debian's chromium and chromium-driver (bash scripts/setup.sh does), or set ${name} for device ${spec.id} in devices.yaml`);
      }
      const served = await runnerRoutes(job.modelPath);
      server = await startPageServer(served.routes);
      const origin = server.origin;
      if (stop.signal.aborted) throw new Stopped('stopped');
      const browser = openUnlessStopped(binaries, stop.signal);
      opening = browser.opening;
      chromium = await browser.opened;
      await drivePage({
        chromium,
        origin,
        pageJob: {
          job,
          modelUrl: `${origin}${served.modelPath}`,
          externalData: served.externalData.map(({ path, urlPath }) => ({ path, data: `${origin}${urlPath}` })),
          wasmPaths: `${origin}${PAGE_PATHS.ortFolder}`,
          threads: spec.threads,
        },
        cpuThrottling: spec.cpuThrottling,
        stop: stop.signal,
        emit,
      });
      finished = true;
    } catch (error) {
      if (error instanceof DeviceFailure) failure = { code: error.code, message: `device ${spec.id}: ${error.message}` };
      else if (!(error instanceof Stopped)) failure = { code: 'DEVICE_LOST', message: `device ${spec.id}: ${error instanceof Error ? error.message : String(error)}` };
    } finally {
      clearTimeout(timer);
      context.signal?.removeEventListener('abort', cancel);
      // A browser still starting when the cell was stopped is closed once it is up: no cell leaves one behind.
      await (chromium ?? (await opening?.catch(() => undefined)))?.close();
      await server?.close();
    }
    return {
      events,
      exitCode: finished ? 0 : undefined,
      signal: undefined,
      timedOut,
      canceled: !timedOut && stop.signal.aborted,
      stderrTail: (chromium?.console ?? []).filter((m) => m.level === 'error' || m.level === 'warn').map((m) => `console.${m.level}: ${m.text}`).join('\n').slice(-4000),
      strayLines: [],
      constraints: await describe(spec, events),
      ...(failure && !stop.signal.aborted ? { deviceFailure: failure } : {}),
    } satisfies RunnerOutcome;
  },
};

/** Chromium, unless the cell is stopped first; `opening` lets the caller close a browser that comes up after that. */
function openUnlessStopped(binaries: { chromium: string; chromedriver: string }, stop: AbortSignal): { opening: Promise<ChromiumSession>; opened: Promise<ChromiumSession> } {
  const opening = openChromium(binaries).catch((error: unknown) => {
    throw new DeviceFailure('DEVICE_UNAVAILABLE', `Chromium could not be started (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); check that ${binaries.chromedriver} matches ${binaries.chromium}`);
  });
  const opened = new Promise<ChromiumSession>((resolve, reject) => {
    const onStop = () => reject(new Stopped('stopped'));
    stop.addEventListener('abort', onStop, { once: true });
    opening.then(resolve, reject).finally(() => stop.removeEventListener('abort', onStop));
  });
  return { opening, opened };
}

const execFileAsync = promisify(execFile);
const versions = new Map<string, Promise<string>>();

/** "Chromium 150.0.7871.100", asked of the binary itself (no browser is opened for facts). */
function chromiumVersion(binary: string): Promise<string> {
  if (!versions.has(binary)) {
    versions.set(
      binary,
      execFileAsync(binary, ['--version'], { timeout: 10_000 }).then(
        ({ stdout }) => stdout.trim().split('\n').at(-1)!.trim(),
        () => `Chromium at ${binary} (version unknown)`,
      ),
    );
  }
  return versions.get(binary)!;
}

/** The conditions a cell runs under, in words; the browser's own version once a cell has reported it. */
async function describe(spec: Spec, events: RunnerEvent[] = []): Promise<string> {
  const hello = events.find((e) => e.type === 'hello');
  const browser = hello?.node ?? (await chromiumVersion(binariesOf(spec).chromium));
  const ort = hello?.onnxruntime ?? (await onnxruntimeWebVersion());
  const throttling =
    spec.cpuThrottling === 1 ? 'no CPU throttling' : `CPU throttling ${spec.cpuThrottling}x (CDP Emulation.setCPUThrottlingRate; nominal: the measured slowdown varies, compare latencies)`;
  return `${browser} headless, onnxruntime-web ${ort} WebAssembly (SIMD), ${spec.threads} thread${spec.threads === 1 ? '' : 's'}, ${throttling}`;
}
