import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { z } from 'zod';
import { startAppiumServer, freePort, type AppiumServer } from '../appium/server.ts';
import { CHROMEDRIVER_BINARY, CHROMIUM_BINARY, webdriverio, type ChromiumBrowser } from '../browser/chromium.ts';
import { isAlive } from '../system/processes.ts';
import type { AppiumDeviceSpec } from '../core/device-spec.ts';
import type { RunnerEvent } from '../core/runner-protocol.ts';
import { adbReverse, describeDeviceState, readDeviceState, rendererPeak, type AndroidShell } from './appium/android.ts';
import { remoteCredentials, secretEnvOf, serverName, sessionCapabilities } from './appium/capabilities.ts';
import { runPageCell, unlessStopped } from './browser/page-cell.ts';
import { describePage, DeviceFailure, drivePage, firstLine } from './browser/page-session.ts';
import { startPageServer } from './browser/page-server.ts';
import { rendererMemory, unmeasuredMemory, type PageMemory } from './browser/renderer.ts';
import { onnxruntimeWebVersion, pageJobFor, runnerRoutes, webRuntimeOf } from './browser/routes.ts';
import type { DeviceDriver } from './driver.ts';
import { appiumPlacement } from './appium/placement.ts';
import type { DeviceFacts } from '../core/device-facts.ts';
import { hostFacts } from './local.ts';

type Spec = z.infer<typeof AppiumDeviceSpec>;

const SESSION_TIMEOUT_MS = 120_000;
const QUIT_TIMEOUT_MS = 15_000;

/**
 * A browser reached through Appium: this machine's Chromium through a local
 * Appium server and its Chromium driver, Chrome on an Android phone
 * (UiAutomator2), Safari on an iPhone (XCUITest), or any of them on a remote
 * grid or cloud device farm. Each cell gets a fresh session that opens the
 * same runner page the browser driver serves, so a phone runs the same tasks
 * on the onnxruntime-web runtime. Appium is the distributed engine; edgebench
 * only asks it for sessions.
 */
export const appiumDriver: DeviceDriver<Spec> = {
  kind: 'appium',
  placement: appiumPlacement,
  takesTurns: false,
  pairsRounds: false,
  latency: 'measured',
  secretEnv: secretEnvOf,

  async facts(spec) {
    if (spec.platform === 'chromium' && spec.server === 'local') {
      const host = await hostFacts();
      return { ...host, source: `${host.source}; the model runs in Chromium on it through a local Appium server`, constraints: await describe(spec) };
    }
    // A phone or a remote browser tells nothing about its hardware before a session exists.
    return {
      cpuModel: 'not known',
      os: spec.platform === 'android' ? 'Android' : spec.platform === 'ios' ? 'iOS' : 'not known',
      kernel: 'not known',
      arch: 'not known',
      source: `not read: edgebench reaches this device only through Appium at ${serverName(spec)}`,
      constraints: await describe(spec),
    } satisfies DeviceFacts;
  },

  async unavailable(spec) {
    const credentials = remoteCredentials(spec);
    if ('missing' in credentials) return credentials.missing;
    if (spec.adbReverse) {
      const udid = spec.capabilities['appium:udid'];
      if (typeof udid !== 'string') return 'adbReverse needs the phone\'s serial: set capabilities."appium:udid" in devices.yaml (adb devices lists it)';
      const listed = await execa('adb', ['devices'], { reject: false });
      if (listed.failed && (listed as { code?: string }).code === 'ENOENT')
        return 'adb not found on PATH: install Android platform-tools to reach a phone over USB';
      if (
        !String(listed.stdout)
          .split('\n')
          .some((line) => line.startsWith(`${udid}\tdevice`))
      )
        return `phone ${udid} is not connected, or not authorised for USB debugging (adb devices does not list it as a device)`;
    }
    if (spec.platform === 'chromium') {
      const missing = [CHROMIUM_BINARY, CHROMEDRIVER_BINARY].filter((binary) => !existsSync(binary));
      if (missing.length && spec.server === 'local')
        return `${missing.join(' and ')} not found: install Debian's chromium and chromium-driver (bash scripts/setup.sh does)`;
    }
    return undefined;
  },

  runCell(spec, job, context) {
    return runPageCell(spec.id, context, async (cell) => {
      const constraintParts: string[] = [];
      cell.constraints = async () => [await describe(spec, cell.events), ...constraintParts].join('; ');
      const credentials = remoteCredentials(spec);
      if ('missing' in credentials) throw new DeviceFailure('DEVICE_UNAVAILABLE', credentials.missing);

      const served = await runnerRoutes(job.modelPath, webRuntimeOf(job));
      const pageServer = await startPageServer(served.routes);
      cell.onCleanup(() => pageServer.close());
      const port = Number(new URL(pageServer.origin).port);
      const origin = `http://${spec.pageHost}:${port}`;

      // Removed last, once the server has ended every browser that could still write to it.
      const profileDir = await mkdtemp(join(tmpdir(), 'edgebench-appium-'));
      cell.onCleanup(() => rm(profileDir, { recursive: true, force: true }));
      let server: AppiumServer | undefined;
      if (spec.server === 'local') {
        const starting = startAppiumServer({
          drivers: spec.platform === 'chromium' ? ['chromium'] : [],
          allowAdbShell: spec.platform === 'android',
          signal: cell.stop,
        });
        cell.onCleanup(async () => (await starting.catch(() => undefined))?.stop());
        server = await unlessStopped(
          starting.catch((error: unknown) => {
            throw new DeviceFailure('DEVICE_UNAVAILABLE', `the local Appium server could not be started: ${(error as Error).message}`);
          }),
          cell.stop,
        );
        const started = server;
        cell.log = () => started.logTail();
      }
      if (spec.adbReverse) {
        const udid = spec.capabilities['appium:udid'];
        if (typeof udid !== 'string')
          throw new DeviceFailure(
            'DEVICE_UNAVAILABLE',
            'adbReverse needs the phone\'s serial: set capabilities."appium:udid" in devices.yaml (adb devices lists it)',
          );
        const undo = await adbReverse(udid, port).catch((error: unknown) => {
          throw new DeviceFailure('DEVICE_UNAVAILABLE', (error as Error).message);
        });
        cell.onCleanup(undo);
      }

      const endpoint = new URL(server?.url ?? credentials.url!);
      const capabilities = sessionCapabilities(spec, { chromedriverPort: await freePort(), profileDir, timeoutMs: context.timeoutMs });
      const opening = (await webdriverio())
        .remote({
          protocol: endpoint.protocol.replace(':', ''),
          hostname: endpoint.hostname,
          port: Number(endpoint.port) || (endpoint.protocol === 'https:' ? 443 : 80),
          path: endpoint.pathname,
          ...(credentials.user ? { user: credentials.user } : {}),
          ...(credentials.key ? { key: credentials.key } : {}),
          logLevel: 'error',
          connectionRetryCount: 0,
          connectionRetryTimeout: SESSION_TIMEOUT_MS,
          capabilities: capabilities as WebdriverIO.Capabilities,
        })
        .catch((error: unknown) => {
          throw new DeviceFailure('DEVICE_UNAVAILABLE', `Appium at ${serverName(spec)} did not open a session (${firstLine(error)})${hint(spec)}`);
        });
      cell.onCleanup(async () => {
        const browser = await opening.catch(() => undefined);
        await Promise.race([browser?.deleteSession().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, QUIT_TIMEOUT_MS).unref())]);
      });
      const browser = await unlessStopped(opening, cell.stop);

      const shell: AndroidShell = async (command, args) => String(await browser.execute('mobile: shell', { command, args, timeout: 20_000 }));
      if (spec.platform === 'android') {
        const before = await readDeviceState(shell).then(describeDeviceState, (error: unknown) => `not read (${firstLine(error)})`);
        constraintParts.push(`before the cell: ${before}`);
        cell.onCleanup(async () =>
          constraintParts.push(
            `after the cell: ${await readDeviceState(shell).then(describeDeviceState, (error: unknown) => `not read (${firstLine(error)})`)}`,
          ),
        );
      }
      const memory = pageMemoryOf(spec, browser, shell, (line) => constraintParts.push(line));
      if (memory.unavailable) cell.memoryUnavailable = memory.unavailable;
      const serverLost = () => {
        const exit = server?.exited();
        return exit && `the Appium server ${exit} mid-cell (last log line: ${server!.logTail().trim().split('\n').at(-1) ?? 'none'})`;
      };
      try {
        await drivePage({
          page: { browser, name: browserLabel(spec), memory, throttle: (rate) => cdpThrottle(browser, rate), lost: serverLost },
          origin,
          pageJob: pageJobFor(job, origin, served, spec.threads),
          cpuThrottling: spec.cpuThrottling,
          stop: cell.stop,
          emit: cell.emit,
        });
      } catch (error) {
        const lost = serverLost();
        throw lost ? new DeviceFailure('DEVICE_LOST', lost) : error;
      }
    });
  },
};

/** Where the page's memory comes from: /proc for a browser on this machine, the phone's /proc over adb for Android, none otherwise. */
function pageMemoryOf(spec: Spec, browser: ChromiumBrowser, shell: AndroidShell, note: (line: string) => void): PageMemory {
  const browserPid = (browser.capabilities as { 'goog:processID'?: number })['goog:processID'];
  if (spec.server === 'local' && spec.platform === 'chromium' && browserPid !== undefined && isAlive(browserPid)) return rendererMemory(browserPid);
  if (spec.platform === 'android') {
    const peak = async () => {
      const found = await rendererPeak(shell).catch(() => undefined);
      const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
      if (found?.now)
        note(
          `page renderer (pid ${found.pid}) after the timed iterations: PSS ${mib(found.now.pssBytes)}${found.now.rssBytes !== undefined ? `, RSS ${mib(found.now.rssBytes)}` : ''} (dumpsys meminfo)`,
        );
      return found?.peak;
    };
    return { beforeStart() {}, beforeLoad() {}, afterLoad: () => ({}), peak, exited: () => undefined };
  }
  return unmeasuredMemory(
    `the browser runs on ${spec.server === 'local' ? 'a device' : `a device behind ${serverName(spec)}`}: edgebench cannot read its renderer's memory`,
  );
}

/**
 * CDP Emulation.setCPUThrottlingRate over WebDriver BiDi (goog:cdp): Appium
 * offers no HTTP route to chromedriver's CDP endpoint, the BiDi socket it
 * proxies does.
 */
async function cdpThrottle(browser: ChromiumBrowser, rate: number): Promise<void> {
  const bidi = (browser as unknown as { _bidiHandler?: { send(command: { method: string; params: unknown }): Promise<{ result?: { session?: string } }> } })
    ._bidiHandler;
  if (!bidi)
    throw new DeviceFailure(
      'DEVICE_UNAVAILABLE',
      'cpuThrottling needs a Chromium-based browser whose session speaks WebDriver BiDi (capability webSocketUrl: true); set cpuThrottling: 1 for this device',
    );
  const { contexts } = await browser.browsingContextGetTree({});
  const session = (await bidi.send({ method: 'goog:cdp.getSession', params: { context: contexts[0]!.context } })).result?.session;
  if (!session)
    throw new DeviceFailure('DEVICE_UNAVAILABLE', 'the browser gave no CDP session over BiDi: cpuThrottling is only available in Chromium-based browsers');
  await bidi.send({ method: 'goog:cdp.sendCommand', params: { method: 'Emulation.setCPUThrottlingRate', params: { rate }, session } });
}

function browserLabel(spec: Spec): string {
  return spec.platform === 'chromium' ? 'Chromium' : spec.platform === 'android' ? 'Chrome (Android)' : 'Safari (iOS)';
}

/** What usually fixes a session that would not open, per platform. */
function hint(spec: Spec): string {
  if (spec.server !== 'local') return ": check the capabilities against the farm's documentation and the credentials in the environment";
  if (spec.platform === 'android')
    return ': install the UiAutomator2 driver (APPIUM_HOME=.cache/appium npx appium driver install uiautomator2), connect the phone (adb devices) and set capabilities."appium:udid"';
  if (spec.platform === 'ios') return ': install the XCUITest driver (APPIUM_HOME=.cache/appium npx appium driver install xcuitest) on a Mac with Xcode';
  return `: check that ${CHROMEDRIVER_BINARY} matches ${CHROMIUM_BINARY}`;
}

async function describe(spec: Spec, events: readonly RunnerEvent[] = []): Promise<string> {
  const hello = events.find((e) => e.type === 'hello');
  const runtime = hello?.runtime ?? { name: 'onnxruntime-web' as const, version: await onnxruntimeWebVersion() };
  return `${hello?.node ?? browserLabel(spec)} through Appium (${serverName(spec)}), ${describePage(runtime, spec.threads, spec.cpuThrottling, ' over BiDi')}`;
}
