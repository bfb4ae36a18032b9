import type { z } from 'zod';
import { CHROMEDRIVER_BINARY, CHROMIUM_BINARY, HEADLESS_FLAGS } from '../../browser/chromium.ts';
import type { AppiumDeviceSpec } from '../../core/device-spec.ts';
import { declareSecretEnv } from '../../secrets/secret-env.ts';

type Spec = z.infer<typeof AppiumDeviceSpec>;

/**
 * The capabilities a cell's session asks for: the platform's defaults, then
 * the device's own capabilities over them (so devices.yaml can name a udid,
 * a cloud farm's options or another browser binary). The defaults never let a
 * driver download anything: the local Chromium driver uses Debian's binaries.
 */
export function sessionCapabilities(spec: Spec, cell: { chromedriverPort: number; profileDir: string; timeoutMs: number }): Record<string, unknown> {
  // Appium ends a session that has had no HTTP command for this long; WebdriverIO sends most over BiDi, so it is the whole cell.
  const newCommandTimeout = Math.ceil(cell.timeoutMs / 1000) + 60;
  const defaults: Record<string, unknown> = {
    // A grid's Chrome: this machine's binaries and ports mean nothing there.
    'remote chromium': { browserName: 'chrome', webSocketUrl: true },
    chromium: {
      platformName: 'linux',
      browserName: 'chrome',
      webSocketUrl: true,
      'appium:automationName': 'Chromium',
      'appium:executable': CHROMEDRIVER_BINARY,
      // The Chromium driver stops chromedriver by port: each cell has its own.
      'appium:chromedriverPort': cell.chromedriverPort,
      'appium:autodownloadEnabled': false,
      'appium:newCommandTimeout': newCommandTimeout,
      'goog:chromeOptions': { binary: CHROMIUM_BINARY, args: [...HEADLESS_FLAGS, `--user-data-dir=${cell.profileDir}`] },
    },
    android: {
      platformName: 'Android',
      browserName: 'Chrome',
      'appium:automationName': 'UiAutomator2',
      'appium:newCommandTimeout': newCommandTimeout,
      'appium:chromedriverAutodownload': false,
    },
    ios: {
      platformName: 'iOS',
      browserName: 'Safari',
      'appium:automationName': 'XCUITest',
      'appium:newCommandTimeout': newCommandTimeout,
    },
  }[spec.platform === 'chromium' && spec.server !== 'local' ? 'remote chromium' : spec.platform] as Record<string, unknown>;
  return { ...defaults, ...spec.capabilities };
}

/**
 * A remote server's endpoint and credentials, read from the environment
 * variables the device names; never from devices.yaml.
 */
export function remoteCredentials(spec: Spec, env: NodeJS.ProcessEnv = process.env): { url?: string; user?: string; key?: string } | { missing: string } {
  if (spec.server === 'local') return {};
  const { urlEnv, usernameEnv, accessKeyEnv } = spec.server;
  secretEnvOf(spec).forEach(declareSecretEnv);
  const unset = [urlEnv, usernameEnv, accessKeyEnv].filter((name): name is string => name !== undefined && !env[name]);
  if (unset.length)
    return {
      missing: `environment variable${unset.length > 1 ? 's' : ''} ${unset.join(' and ')} ${unset.length > 1 ? 'are' : 'is'} not set (device ${spec.id} reads its ${urlEnv && unset.includes(urlEnv) ? 'server URL' : 'credentials'} from ${unset.length > 1 ? 'them' : 'it'})`,
    };
  if (urlEnv && !URL.canParse(env[urlEnv]!))
    return { missing: `environment variable ${urlEnv} does not hold a URL (device ${spec.id} reads its server URL from it)` };
  return { url: spec.server.url ?? env[urlEnv!], ...(usernameEnv ? { user: env[usernameEnv] } : {}), ...(accessKeyEnv ? { key: env[accessKeyEnv] } : {}) };
}

/** The environment variables that hold a remote server's URL or credentials. */
export function secretEnvOf(spec: Spec): string[] {
  if (spec.server === 'local') return [];
  return [spec.server.urlEnv, spec.server.usernameEnv, spec.server.accessKeyEnv].filter((name): name is string => name !== undefined);
}

/** A server as reports and logs show it: origin and path of a URL from devices.yaml, only the variable's name for one from the environment. */
export function serverName(spec: Spec): string {
  if (spec.server === 'local') return 'a local Appium server';
  if (spec.server.urlEnv) return `the server in $${spec.server.urlEnv}`;
  const parsed = new URL(spec.server.url!);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
}
