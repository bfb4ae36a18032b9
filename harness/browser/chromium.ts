import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { remote } from 'webdriverio';
import { allExited, allProcesses, descendantsOf } from '../system/processes.ts';
import { runnerEnvironment } from '../secrets/secret-env.ts';

/** Debian's Chromium and its driver; EDGEBENCH_CHROMIUM / EDGEBENCH_CHROMEDRIVER point elsewhere. Nothing is ever downloaded. */
export const CHROMIUM_BINARY = process.env.EDGEBENCH_CHROMIUM ?? '/usr/lib/chromium/chromium';
export const CHROMEDRIVER_BINARY = process.env.EDGEBENCH_CHROMEDRIVER ?? '/usr/bin/chromedriver';

/** Flags for a headless Chromium that runs as root in CI and talks to nothing but the pages it is given. */
export const HEADLESS_FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--window-size=1280,1000',
];

const QUIT_TIMEOUT_MS = 15_000;
const EXIT_GRACE_MS = 5_000;

export type ChromiumBrowser = Awaited<ReturnType<typeof remote>>;

/** WebdriverIO, imported when a browser first opens: it adds about 0.5 s to every command that opens none. */
export const webdriverio = (): Promise<typeof import('webdriverio')> => import('webdriverio');

export interface ChromiumSession {
  browser: ChromiumBrowser;
  console: { level: string; text: string }[];
  /** The chromedriver process; Chromium and its renderers are its descendants. */
  driverPid: number | undefined;
  /** Opens a new tab and makes it the one the session's commands go to. */
  openTab(): Promise<void>;
  /** Closes the current tab and goes back to the tab the browser started with. */
  closeTab(): Promise<void>;
  close(): Promise<void>;
}

export interface ChromiumOptions {
  extraArgs?: string[];
  /** Paths of the browser and driver binaries; CHROMIUM_BINARY and CHROMEDRIVER_BINARY by default. */
  chromium?: string;
  chromedriver?: string;
}

/**
 * A WebdriverIO session on the system Chromium, with a fresh profile folder
 * that close() removes. Console messages of every page are collected.
 */
export async function openChromium(options: ChromiumOptions = {}): Promise<ChromiumSession> {
  const profile = await mkdtemp(join(tmpdir(), 'edgebench-chromium-'));
  // Chromium writes config, cache and temporary files only inside the profile folder.
  const scratch = { XDG_CONFIG_HOME: join(profile, 'config'), XDG_CACHE_HOME: join(profile, 'cache'), TMPDIR: join(profile, 'tmp') };
  await Promise.all(Object.values(scratch).map((dir) => mkdir(dir, { recursive: true })));
  // Empty lists keep chromedriver on loopback (WebdriverIO otherwise allows every address; the option is missing from its types).
  const chromedriverOptions = {
    binary: options.chromedriver ?? CHROMEDRIVER_BINARY,
    allowedIps: [],
    allowedOrigins: [],
    spawnOpts: { env: runnerEnvironment({ NODE_OPTIONS: '', ...scratch }) },
  } as { binary: string };
  let browser: ChromiumBrowser;
  try {
    browser = await (
      await webdriverio()
    ).remote({
      logLevel: 'error',
      capabilities: {
        browserName: 'chrome',
        webSocketUrl: true,
        'goog:chromeOptions': {
          binary: options.chromium ?? CHROMIUM_BINARY,
          args: [...HEADLESS_FLAGS, `--user-data-dir=${profile}`, ...(options.extraArgs ?? [])],
        },
        'wdio:chromedriverOptions': chromedriverOptions,
      },
    });
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
  const driverPid = (browser.capabilities as { 'wdio:driverPID'?: number })['wdio:driverPID'];
  const firstTab = await browser.getWindowHandle();
  const messages: { level: string; text: string }[] = [];
  await browser.sessionSubscribe({ events: ['log.entryAdded'] });
  browser.on('log.entryAdded', (entry: { level: string; text: string | null }) => messages.push({ level: entry.level, text: entry.text ?? '' }));
  return {
    browser,
    console: messages,
    driverPid,
    async openTab() {
      await browser.switchToWindow((await browser.createWindow('tab')).handle);
    },
    async closeTab() {
      await browser.closeWindow();
      await browser.switchToWindow(firstTab);
    },
    async close() {
      // Listed first: once chromedriver is gone, a Chromium that did not quit is no longer its descendant.
      const processes = browserProcesses(driverPid, profile);
      // A browser that no longer answers does not hold up the run: what is left is killed below.
      await Promise.race([browser.deleteSession().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, QUIT_TIMEOUT_MS).unref())]);
      // A crashed or hung browser may not quit with its session: what is left after a grace period is ended by pid.
      // Waiting for the exit also means the next measurement does not share the CPU with a browser shutting down.
      if (!(await allExited(processes, EXIT_GRACE_MS))) {
        for (const { pid } of processes) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // Exited meanwhile.
          }
        }
        await allExited(processes, EXIT_GRACE_MS);
      }
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/**
 * chromedriver's descendants, and a Chromium its profile folder names with its descendants: a Chromium whose
 * chromedriver died (killed, crashed) is no longer chromedriver's descendant, and would otherwise be left running.
 */
function browserProcesses(driverPid: number | undefined, profile: string): { pid: number }[] {
  const found = new Map((driverPid ? descendantsOf(driverPid) : []).map((p) => [p.pid, p]));
  for (const orphan of allProcesses().filter((p) => p.args.includes(`--user-data-dir=${profile}`) && !found.has(p.pid)))
    for (const p of [orphan, ...descendantsOf(orphan.pid)]) found.set(p.pid, p);
  return [...found.values()];
}

/** The browser's console errors and warnings, last ones kept, for a cell's error message. */
export function consoleTail(messages: readonly { level: string; text: string }[]): string {
  return messages
    .filter((m) => m.level === 'error' || m.level === 'warn')
    .map((m) => `console.${m.level}: ${m.text}`)
    .join('\n')
    .slice(-4000);
}
