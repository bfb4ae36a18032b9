import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { runnerEnvironment } from '../secrets/secret-env.ts';

/** Appium's home (its drivers and their cache): inside edgebench's own .cache/, never the user's ~/.appium. */
export const APPIUM_HOME = fileURLToPath(new URL('../../.cache/appium', import.meta.url));
const APPIUM_MAIN = fileURLToPath(new URL('../../node_modules/appium/index.js', import.meta.url));
/** Appium drivers edgebench ships as npm dependencies, installed into APPIUM_HOME from node_modules (no download). */
const BUNDLED_DRIVERS = { chromium: fileURLToPath(new URL('../../node_modules/appium-chromium-driver', import.meta.url)) } as const;

const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;
const LOG_TAIL_CHARS = 4000;

export interface AppiumServer {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  port: number;
  /** Why the server exited, once it has (a crash mid-session ends the cell as device lost). */
  exited(): string | undefined;
  /** The end of the server's log, for error messages. */
  logTail(): string;
  stop(): Promise<void>;
}

/**
 * A local Appium server from the project's npm dependency, on 127.0.0.1 at a
 * free port, with its home in .cache/appium. Resolves once /status answers.
 */
export async function startAppiumServer(
  options: { drivers?: (keyof typeof BUNDLED_DRIVERS)[]; allowAdbShell?: boolean; signal?: AbortSignal } = {},
): Promise<AppiumServer> {
  if (!existsSync(APPIUM_MAIN)) throw new Error(`Appium is not installed at ${APPIUM_MAIN}: run npm ci`);
  for (const name of options.drivers ?? []) await ensureBundledDriver(name);
  const port = await freePort();
  // Everything the server starts (chromedriver, Chromium) writes its config, cache and temporary files here, not in ~.
  const scratch = await mkdtemp(join(tmpdir(), 'edgebench-appium-server-'));
  const scratchEnv = { XDG_CONFIG_HOME: join(scratch, 'config'), XDG_CACHE_HOME: join(scratch, 'cache'), TMPDIR: join(scratch, 'tmp') };
  await Promise.all(Object.values(scratchEnv).map((dir) => mkdir(dir, { recursive: true })));
  let log = '';
  let exit: string | undefined;
  // adb_shell lets `mobile: shell` read the phone's battery, thermal state and memory; only asked for Android devices.
  const insecure = options.allowAdbShell ? ['--allow-insecure', 'uiautomator2:adb_shell'] : [];
  const server: ResultPromise = execa(
    process.execPath,
    [APPIUM_MAIN, 'server', '--address', '127.0.0.1', '--port', String(port), '--log-no-colors', '--log-timestamp', ...insecure],
    {
      // The browsers it starts run the benchmark page: like a runner, it gets none of edgebench's secrets.
      env: runnerEnvironment({ APPIUM_HOME, NODE_OPTIONS: '', ...scratchEnv }),
      extendEnv: false,
      reject: false,
      all: true,
      // Its own process group: the browsers it starts are in it too, so stopping the group leaves none behind,
      // even when the server itself died first and they were orphaned.
      detached: true,
    },
  );
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      if (server.pid !== undefined) process.kill(-server.pid, signal);
    } catch {
      // The group is empty.
    }
  };
  server.all?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-LOG_TAIL_CHARS);
  });
  void server.then((result) => {
    exit = result.signal ? `killed by ${result.signal}` : `exited with code ${result.exitCode}`;
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (exit || options.signal?.aborted) {
      killGroup('SIGKILL');
      await rm(scratch, { recursive: true, force: true });
      throw new Error(exit ? `the Appium server ${exit} before it was ready: ${log.trim().split('\n').slice(-3).join(' | ')}` : 'stopped');
    }
    if (await answers(`${url}/status`)) break;
    if (Date.now() > deadline) {
      killGroup('SIGKILL');
      await rm(scratch, { recursive: true, force: true });
      throw new Error(`the Appium server did not answer on ${url} within ${READY_TIMEOUT_MS / 1000} s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    port,
    exited: () => exit,
    logTail: () => log,
    async stop() {
      if (!exit) {
        killGroup('SIGTERM');
        const timer = setTimeout(() => killGroup('SIGKILL'), STOP_GRACE_MS);
        await server;
        clearTimeout(timer);
      }
      // Whatever the server left (it may have died before it could close its sessions).
      killGroup('SIGKILL');
      await rm(scratch, { recursive: true, force: true });
    },
  };
}

/** Drivers installed in APPIUM_HOME, by name, as Appium's own manifest lists them. */
export async function installedDrivers(): Promise<string[]> {
  try {
    const manifest = JSON.parse(await readFile(join(APPIUM_HOME, 'package.json'), 'utf8')) as {
      devDependencies?: Record<string, string>;
      dependencies?: Record<string, string>;
    };
    return Object.keys({ ...manifest.dependencies, ...manifest.devDependencies });
  } catch {
    return [];
  }
}

let installing: Promise<void> | undefined;

/**
 * Installs one of edgebench's bundled drivers into APPIUM_HOME from
 * node_modules (a link, about 2 s, no network). Drivers for real phones
 * (uiautomator2, xcuitest) are installed by the user: see docs/devices/appium.md.
 */
async function ensureBundledDriver(name: keyof typeof BUNDLED_DRIVERS): Promise<void> {
  const packageName = `appium-${name}-driver`;
  if ((await installedDrivers()).includes(packageName)) return;
  // One install at a time: Appium's manifest is one file.
  installing = (installing ?? Promise.resolve())
    .catch(() => undefined)
    .then(async () => {
      if ((await installedDrivers()).includes(packageName)) return;
      await mkdir(APPIUM_HOME, { recursive: true });
      const result = await execa(process.execPath, [APPIUM_MAIN, 'driver', 'install', '--source=local', BUNDLED_DRIVERS[name]], {
        env: { APPIUM_HOME, NODE_OPTIONS: '' },
        reject: false,
        all: true,
      });
      if (result.exitCode !== 0)
        throw new Error(`installing the Appium ${name} driver into ${APPIUM_HOME} failed: ${String(result.all).trim().split('\n').slice(-3).join(' | ')}`);
    });
  await installing;
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return response.ok;
  } catch {
    return false;
  }
}

/** A TCP port nothing listens on right now, picked by the kernel. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
