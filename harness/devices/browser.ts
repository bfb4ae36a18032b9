import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import type { z } from 'zod';
import { CHROMEDRIVER_BINARY, CHROMIUM_BINARY, consoleTail, openChromium, type ChromiumSession } from '../browser/chromium.ts';
import type { BrowserDeviceSpec } from '../core/device-spec.ts';
import type { RunnerEvent } from '../core/runner-protocol.ts';
import { runPageCell, unlessStopped } from './browser/page-cell.ts';
import { describePage, DeviceFailure, drivePage, firstLine } from './browser/page-session.ts';
import { pageServerOnOwnSite } from './browser/loopback-site.ts';
import { ChromiumPool } from './browser/chromium-pool.ts';
import { allExited } from '../system/processes.ts';
import { rendererMemory } from './browser/renderer.ts';
import { onnxruntimeWebVersion, pageJobFor, runnerRoutes, webRuntimeOf } from './browser/routes.ts';
import type { DeviceDriver } from './driver.ts';
import { browserPlacement } from './browser/placement.ts';
import { hostFacts } from './local.ts';

type Spec = z.infer<typeof BrowserDeviceSpec>;

const binariesOf = (spec: Spec) => ({ chromium: spec.chromium ?? CHROMIUM_BINARY, chromedriver: spec.chromedriver ?? CHROMEDRIVER_BINARY });

/**
 * A web browser on this machine: each cell opens a new tab in a headless Chromium, on a loopback site no earlier
 * cell used, so its page runs in a renderer process of its own with nothing cached (as the local driver starts a
 * fresh process); it serves the tab the runner page, the runtime's WebAssembly build and the variant's files, and
 * runs the same tasks as the Node.js runner on onnxruntime-web (ONNX) or wllama (GGUF). The browser stays open
 * for the device's next cell (chromium-pool.ts) until release().
 */
export const browserDriver: DeviceDriver<Spec> = {
  kind: 'browser',
  placement: browserPlacement,
  takesTurns: false,
  pairsRounds: false,
  latency: 'measured',

  async facts(spec) {
    const host = await hostFacts();
    return { ...host, source: `${host.source}; the model runs in a browser on it, as below`, constraints: await describe(spec) };
  },

  async unavailable(spec) {
    const missing = Object.values(binariesOf(spec)).filter((binary) => !existsSync(binary));
    return missing.length
      ? `${missing.join(' and ')} not found: install Debian's chromium and chromium-driver (bash scripts/setup.sh does), or set chromium/chromedriver in devices.yaml`
      : undefined;
  },

  runCell(spec, job, context) {
    return runPageCell(spec.id, context, async (cell) => {
      const binaries = binariesOf(spec);
      for (const [name, path] of Object.entries(binaries)) {
        if (!existsSync(path))
          throw new DeviceFailure(
            'DEVICE_UNAVAILABLE',
            `${name} not found at ${path}: install Debian's chromium and chromium-driver (bash scripts/setup.sh does), or set ${name} for device ${spec.id} in devices.yaml`,
          );
      }
      cell.constraints = () => describe(spec, cell.events);
      const served = await runnerRoutes(job.modelPath, webRuntimeOf(job));
      const { server, ownSite } = await pageServerOnOwnSite(served.routes);
      cell.onCleanup(() => server.close());
      const key = keptKey(spec);
      const opening = browserWithNewTab(ownSite ? kept.take(key) : undefined, binaries);
      // Runs after the body, whatever happened. A browser still starting when the cell is stopped is closed once it
      // is up: no cell leaves one behind. A browser is kept for the device's next cell only after a clean end.
      let keep = false;
      cell.onCleanup(async () => {
        const chromium = await opening.catch(() => undefined);
        if (chromium && keep) kept.keep(key, chromium);
        else await chromium?.close();
      });
      const chromium = await unlessStopped(opening, cell.stop);
      const consoleFrom = chromium.console.length;
      cell.log = () => consoleTail(chromium.console.slice(consoleFrom));
      await drivePage({
        page: {
          browser: chromium.browser,
          name: 'Chromium',
          memory: rendererMemory(chromium.driverPid ?? -1),
          throttle: (rate) => chromium.browser.sendCommandAndGetResult('Emulation.setCPUThrottlingRate', { rate }),
        },
        origin: server.origin,
        pageJob: pageJobFor(job, server.origin, served, spec.threads),
        cpuThrottling: spec.cpuThrottling,
        stop: cell.stop,
        emit: cell.emit,
      });
      keep = ownSite && (await unlessStopped(closedTabCleanly(chromium, cell.events), cell.stop));
    });
  },

  release(spec) {
    return kept.closeAll(keptKey(spec));
  },
};

/** Browsers kept open between a device's cells, each cell on a site of its own (chromium-pool.ts). */
const kept = new ChromiumPool();
const RENDERER_EXIT_MS = 5_000;
/** A kept browser serves the cells of the device it was opened for, with the same binaries. */
const keptKey = (spec: Spec) => JSON.stringify([spec.id, binariesOf(spec).chromium, binariesOf(spec).chromedriver]);

/** A kept browser with a new tab, or where it no longer answers (or none was kept) a freshly started one. */
async function browserWithNewTab(pooled: ChromiumSession | undefined, binaries: ReturnType<typeof binariesOf>): Promise<ChromiumSession> {
  if (pooled) {
    try {
      await pooled.openTab();
      return pooled;
    } catch {
      await pooled.close();
    }
  }
  const fresh = await openChromium(binaries).catch((error: unknown) => {
    throw new DeviceFailure(
      'DEVICE_UNAVAILABLE',
      `Chromium could not be started (${firstLine(error)}); check that ${binaries.chromedriver} matches ${binaries.chromium}`,
    );
  });
  try {
    await fresh.openTab();
    return fresh;
  } catch (error) {
    await fresh.close();
    throw new DeviceFailure('DEVICE_UNAVAILABLE', `Chromium could not open a tab: ${firstLine(error)}`);
  }
}

/**
 * Closes the cell's tab and waits for its renderer to exit, so the next cell neither shares the CPU with it nor
 * could take it for its own. False (the browser is then closed, not kept) where the renderer was never identified
 * or did not exit.
 */
async function closedTabCleanly(chromium: ChromiumSession, events: readonly RunnerEvent[]): Promise<boolean> {
  const pid = events.find((e) => e.type === 'hello')?.pid;
  if (pid === undefined) return false;
  try {
    await chromium.closeTab();
  } catch {
    return false;
  }
  return allExited([{ pid }], RENDERER_EXIT_MS);
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
async function describe(spec: Spec, events: readonly RunnerEvent[] = []): Promise<string> {
  const hello = events.find((e) => e.type === 'hello');
  const browser = hello?.node ?? (await chromiumVersion(binariesOf(spec).chromium));
  const runtime = hello?.runtime ?? { name: 'onnxruntime-web' as const, version: await onnxruntimeWebVersion() };
  return `${browser} headless, ${describePage(runtime, spec.threads, spec.cpuThrottling)}`;
}
