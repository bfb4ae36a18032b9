import { z } from 'zod';
import { PowerMeter, PowerModel, ProbeOptions, ThermalGate } from './probe-options.ts';
import { Scheduling } from './scheduling.ts';
import { printableText } from './printable-text.ts';

/** Fields every device has, whatever drives it. */
const deviceBase = {
  id: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'device id must start with a letter or digit and use only letters, digits, ".", "_" or "-"')
    .describe('Unique name of the device, used in results and on the command line.'),
  class: printableText(z.string().min(1)).optional().describe('Performance class such as "low", "mid" or "high"; budgets can target a class.'),
  description: printableText().optional().describe('Free text shown in reports.'),
  requireSignedModels: z
    .boolean()
    .optional()
    .describe("Run only variants signed by a key the suite trusts (the suite's signatures.publicKeys); others are refused before the run."),
  optional: z
    .boolean()
    .optional()
    .describe(
      'Skip the device, with the reason in the results, when its driver finds it unavailable (e.g. an arm64 sysroot not built yet) instead of failing its cells.',
    ),
  powerModel: PowerModel.optional(),
  powerMeter: PowerMeter.optional(),
  probes: ProbeOptions.optional(),
  thermalGate: ThermalGate.optional().describe("This device's thermal gate, in place of the suite's (a phone's skin limit is not a desktop's)."),
};

export const LocalDeviceSpec = z
  .strictObject({
    ...deviceBase,
    kind: z.literal('local').describe('The machine edgebench runs on; each cell runs in its own child process.'),
  })
  .describe('The local host.');

/**
 * CPU quota, as a share of one core: the kernel refuses a CFS quota under 1 ms
 * per period, and edgebench's period is 10 ms (cgroups/cell-cgroup.ts), so 0.1
 * is the least it can apply; 1024 cores is the most any machine here has.
 */
export const MIN_CPU_QUOTA = 0.1;
export const MAX_CPU_QUOTA = 1024;
/** Memory caps are written to the kernel in bytes: above 2^33 MiB they are no longer exact integers. */
export const MAX_MEMORY_MIB = 2 ** 33;

export const EmulatedDeviceSpec = z
  .strictObject({
    ...deviceBase,
    kind: z.literal('emulated').describe('This machine, constrained like a weaker device: the runner runs in its own cgroup.'),
    cpus: z.array(z.number().int().nonnegative()).min(1).describe('Cores the runner is pinned to (cpuset), e.g. [0].'),
    cpuQuota: z
      .number()
      .min(MIN_CPU_QUOTA, `cpuQuota must be at least ${MIN_CPU_QUOTA} (a tenth of one core): the kernel refuses a smaller CPU quota`)
      .max(MAX_CPU_QUOTA)
      .optional()
      .describe('CPU time per scheduling period as a share of one core, e.g. 0.5 for half a core (0.1 at least); none when omitted.'),
    memoryMiB: z
      .number()
      .int()
      .min(32)
      .max(MAX_MEMORY_MIB, 'memoryMiB must be at most 2^33 (8 PiB)')
      .optional()
      .describe('Memory cap in MiB (swap included); a variant that needs more is recorded as OOM at this cap.'),
    fallback: z
      .enum(['none', 'taskset'])
      .default('none')
      .describe(
        'When no cgroup can be written: "none" reports the device unavailable; "taskset" pins the cores only (no CPU quota, no memory cap) and says so in the results.',
      ),
  })
  .describe('An emulated low-end device: a constrained profile on this machine.');

export const QemuArm64DeviceSpec = z
  .strictObject({
    ...deviceBase,
    kind: z
      .literal('qemu-arm64')
      .describe('An ARM64 board emulated on this machine: the runner runs in an arm64 Node.js under qemu-aarch64 user-mode emulation.'),
    sysroot: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Directory holding the arm64 Node.js (usr/bin/node) and its libraries, relative to the directory edgebench runs in. Default: edgebench's .cache/arm64-sysroot, built by `npm run setup:arm64`.",
      ),
    qemu: z.string().min(1).default('qemu-aarch64').describe('The qemu-aarch64 binary: a path, or a name looked up on PATH (Debian package qemu-user).'),
    cpuModel: z
      .string()
      .min(1)
      .default('cortex-a76')
      .describe(
        'CPU model qemu emulates (-cpu): cortex-a53, cortex-a72, cortex-a76, neoverse-n1, ... (`qemu-aarch64 -cpu help` lists them). onnxruntime picks its kernels for this core.',
      ),
  })
  .describe('An emulated ARM64 board: outputs and accuracy are those of ARM kernels, timings are not representative of real hardware.');

export const BrowserDeviceSpec = z
  .strictObject({
    ...deviceBase,
    kind: z
      .literal('browser')
      .describe(
        'A headless Chromium on this machine: the model runs in a web page on onnxruntime-web, or wllama for GGUF files (both WebAssembly), driven through WebdriverIO.',
      ),
    cpuThrottling: z
      .number()
      .min(1)
      .max(100)
      .default(1)
      .describe(
        'CPU slowdown Chromium applies to the page (CDP Emulation.setCPUThrottlingRate), e.g. 4 for a mid-tier phone; 1 means none. Nominal: the measured slowdown varies, so compare the latencies themselves.',
      ),
    threads: z
      .number()
      .int()
      .min(1)
      .max(64)
      .default(1)
      .describe(
        "WebAssembly threads for onnxruntime-web (env.wasm.numThreads) or wllama (n_threads); the suite's intraOpThreads does not apply in the browser.",
      ),
    chromium: z.string().min(1).optional().describe('Chromium binary. Default: EDGEBENCH_CHROMIUM, else /usr/lib/chromium/chromium (Debian package chromium).'),
    chromedriver: z
      .string()
      .min(1)
      .optional()
      .describe('chromedriver binary matching that Chromium. Default: EDGEBENCH_CHROMEDRIVER, else /usr/bin/chromedriver (Debian package chromium-driver).'),
  })
  .describe('A web browser on this machine: the variant runs in onnxruntime-web (ONNX) or wllama (GGUF) inside headless Chromium, one fresh browser per cell.');

const AppiumServer = z.union([
  z.literal('local').describe("Start a local Appium server (edgebench's npm dependency, home in .cache/appium) for each cell."),
  z
    .strictObject({
      url: z
        .string()
        .url()
        // url() reports an unparsable URL; this check only looks at one that parses.
        .refine(
          (url) => !URL.canParse(url) || (!new URL(url).username && !new URL(url).password),
          'the URL must not hold credentials: name the environment variables that do in usernameEnv and accessKeyEnv',
        )
        .optional()
        .describe('WebDriver endpoint of a remote Appium server or grid, e.g. https://hub.browserstack.com/wd/hub.'),
      urlEnv: z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
        .optional()
        .describe('Environment variable holding the whole endpoint instead, for URLs that are themselves secret (AWS Device Farm test grid URLs are signed).'),
      usernameEnv: z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
        .optional()
        .describe('Environment variable holding the user name (e.g. BROWSERSTACK_USERNAME); credentials never appear in devices.yaml.'),
      accessKeyEnv: z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
        .optional()
        .describe('Environment variable holding the access key (e.g. BROWSERSTACK_ACCESS_KEY).'),
      concurrency: z
        .number()
        .int()
        .min(1)
        .max(1000)
        .optional()
        .describe(
          "Sessions the endpoint runs at once (a device farm plan's parallel sessions, a grid's slots); devices on the same endpoint share it. Default: no limit beyond one session per device.",
        ),
    })
    .refine((server) => (server.url === undefined) !== (server.urlEnv === undefined), 'give the server either url or urlEnv (exactly one)')
    .describe('A remote Appium server, Selenium Grid or cloud device farm.'),
]);

export const AppiumDeviceSpec = z
  .strictObject({
    ...deviceBase,
    kind: z.literal('appium').describe('A browser on a device reached through Appium: the runner page runs in it on onnxruntime-web.'),
    server: AppiumServer.default('local'),
    platform: z
      .enum(['chromium', 'android', 'ios'])
      .default('chromium')
      .describe(
        'Which session edgebench asks for: "chromium" (this machine\'s Chromium through the Appium Chromium driver), "android" (Chrome through UiAutomator2), "ios" (Safari through XCUITest). Sets the default capabilities.',
      ),
    capabilities: z
      .record(z.string(), z.unknown())
      .default({})
      .describe(
        'W3C capabilities merged over the platform defaults, e.g. appium:udid, appium:deviceName, bstack:options. No secrets: they come from usernameEnv/accessKeyEnv.',
      ),
    cpuThrottling: z
      .number()
      .min(1)
      .max(100)
      .default(1)
      .describe('CDP CPU throttling rate for Chromium-based sessions (over WebDriver BiDi); 1 means none. Not available in Safari.'),
    threads: z.number().int().min(1).max(64).default(1).describe('WebAssembly threads for onnxruntime-web (env.wasm.numThreads).'),
    pageHost: z
      .string()
      .regex(/^[A-Za-z0-9.-]+$/)
      .default('127.0.0.1')
      .describe(
        'Host name the device opens the runner page at. 127.0.0.1 for a browser on this machine or a phone with adbReverse; "localhost" through a cloud tunnel (BrowserStack Local, Sauce Connect).',
      ),
    adbReverse: z
      .boolean()
      .default(false)
      .describe(
        "Android over USB with a local server: forward the phone's 127.0.0.1:<port> to the runner page with `adb reverse` (adb on PATH, appium:udid in capabilities).",
      ),
  })
  .describe('A browser reached through Appium: a local Chromium, Chrome on an Android phone, Safari on an iPhone, or a remote grid / device farm.');

/** Options edgebench sets itself on every ssh command; a value in sshOptions would break connection reuse or let ssh prompt. */
const SSH_MANAGED_OPTIONS = ['batchmode', 'controlmaster', 'controlpath', 'controlpersist'];
const oneLine = (text: string) => !/[\n\r\0]/.test(text);
/** A refinement's message says what is wrong, its fix what to write instead (shown after "fix:"). */
const rule = (message: string, fix: string) => ({ message, params: { fix } });

export const SshDeviceSpec = z
  .strictObject({
    ...deviceBase,
    kind: z
      .literal('ssh')
      .describe(
        'A Linux board reached over SSH (Raspberry Pi, Jetson, any arm64 or x64 machine with Node.js 18 or newer): the runner, onnxruntime-node and the variant are pushed to it and run there.',
      ),
    host: z
      .string()
      .refine(
        (host) => /^[A-Za-z0-9_.:%[\]][^\s@]*$/.test(host),
        rule(
          'host must be a host name, an IP address or a Host alias from ~/.ssh/config',
          'write it without spaces or a leading "-", and put the login in user:',
        ),
      )
      .describe('Host name, IP address, or a Host alias from ~/.ssh/config (whose HostName, Port, User, IdentityFile and ProxyJump then apply).'),
    port: z.number().int().min(1).max(65535).optional().describe("SSH port; default: ~/.ssh/config's Port for the host, else 22."),
    user: z
      .string()
      .refine((user) => /^[A-Za-z0-9._][A-Za-z0-9._-]*$/.test(user), rule('user must be a login name', 'use letters, digits, ".", "_" and "-" only'))
      .optional()
      .describe("Login on the board; default: ~/.ssh/config's User for the host, else your local user name."),
    identityFile: z
      .string()
      .min(1)
      .refine(
        (path) => oneLine(path) && !path.includes('PRIVATE KEY'),
        rule(
          'identityFile must be the path of a private key file, and this looks like a key itself',
          'save the key in a file (chmod 600) and write its path here, or load it into ssh-agent and leave identityFile out; never paste a key into devices.yaml',
        ),
      )
      .optional()
      .describe(
        'Path of the private key file (relative to the directory edgebench runs in; ~/ allowed). Default: ssh-agent and ~/.ssh/config. Keys are never written in devices.yaml.',
      ),
    sshConfig: z.string().min(1).optional().describe('An ssh_config file to read instead of ~/.ssh/config (ssh -F).'),
    sshOptions: z
      .record(z.string(), z.union([z.string(), z.number()]))
      .refine(
        (options) => Object.entries(options).every(([key, value]) => /^[A-Za-z][A-Za-z0-9]*$/.test(key) && oneLine(String(value))),
        rule('sshOptions must map ssh option names to one-line values', 'write them as in ssh_config, e.g. ServerAliveInterval: 30'),
      )
      .refine(
        (options) => !Object.keys(options).some((key) => SSH_MANAGED_OPTIONS.includes(key.toLowerCase())),
        rule(
          'sshOptions may not set BatchMode, ControlMaster, ControlPath or ControlPersist',
          'remove them: edgebench sets them itself, to reuse one connection per device and never wait at a prompt',
        ),
      )
      .optional()
      .describe('Extra ssh -o options, e.g. { ProxyJump: bastion, ServerAliveInterval: 30 }; they take precedence over ~/.ssh/config.'),
    remoteDir: z
      .string()
      .refine(
        (dir) => /^(~|~\/.*|\/.*)$/.test(dir) && oneLine(dir),
        rule('remoteDir must be an absolute path on the board, or start with ~/', 'write e.g. ~/.cache/edgebench or /var/cache/edgebench'),
      )
      .default('~/.cache/edgebench')
      .describe("The board's cache of pushed files (runner, onnxruntime-node, variants), by content hash. Absolute, or ~/ for the login's home."),
    node: z
      .string()
      .min(1)
      .refine(oneLine, rule('node must be one line', 'write the path of Node.js on the board, e.g. /usr/bin/node'))
      .default('node')
      .describe("Node.js (18 or newer) on the board: a path, or a name looked up on the login's PATH."),
    cpus: z
      .array(z.number().int().nonnegative())
      .min(1)
      .optional()
      .describe('Board cores the runner is pinned to with taskset, e.g. [4, 5, 6, 7] for the big cores of a big.LITTLE CPU; default: all.'),
    connectTimeoutSeconds: z
      .number()
      .int()
      .min(1)
      .max(300)
      .default(10)
      .describe('How long ssh waits for the board to answer (ConnectTimeout) before the device counts as unreachable.'),
  })
  .describe(
    'A Linux board reached with the system OpenSSH client: one reused connection per device, files pushed to a content-addressed cache on the board, the runner run there.',
  );

/** Device kinds edgebench has a driver for. */
export const IMPLEMENTED_DEVICE_KINDS = ['local', 'emulated', 'qemu-arm64', 'browser', 'appium', 'ssh'] as const;

export const DeviceSpec = z.discriminatedUnion('kind', [
  LocalDeviceSpec,
  EmulatedDeviceSpec,
  QemuArm64DeviceSpec,
  BrowserDeviceSpec,
  AppiumDeviceSpec,
  SshDeviceSpec,
]);
export type DeviceSpec = z.infer<typeof DeviceSpec>;
export const DeviceKind = z.enum(IMPLEMENTED_DEVICE_KINDS);
export type DeviceKind = z.infer<typeof DeviceKind>;

export const DevicesFile = z
  .strictObject({
    $schema: z.string().optional(),
    scheduling: Scheduling.optional(),
    devices: z.array(DeviceSpec).min(1, 'devices.yaml must list at least one device'),
  })
  .superRefine((file, ctx) => {
    const seen = new Map<string, number>();
    file.devices.forEach((device, index) => {
      const first = seen.get(device.id);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['devices', index, 'id'],
          message: `duplicate device id "${device.id}" (also used by devices[${first}])`,
        });
      } else seen.set(device.id, index);
    });
    // Devices on one remote endpoint share its limit: two different numbers for it cannot both hold.
    const limits = new Map<string, { limit: number; index: number }>();
    file.devices.forEach((device, index) => {
      if (device.kind !== 'appium' || device.server === 'local' || device.server.concurrency === undefined) return;
      const endpoint = device.server.url ?? `$${device.server.urlEnv}`;
      const first = limits.get(endpoint);
      if (!first) limits.set(endpoint, { limit: device.server.concurrency, index });
      else if (first.limit !== device.server.concurrency) {
        ctx.addIssue({
          code: 'custom',
          path: ['devices', index, 'server', 'concurrency'],
          message: `server ${endpoint} has concurrency ${device.server.concurrency} here and ${first.limit} in devices[${first.index}]`,
          params: { fix: 'give every device on the same endpoint the same concurrency (the number of sessions your plan or grid runs at once)' },
        });
      }
    });
  })
  .describe('edgebench device inventory (devices.yaml).');
export type DevicesFile = z.infer<typeof DevicesFile>;
