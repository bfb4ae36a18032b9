import { z } from 'zod';

/** Fields every device has, whatever drives it. */
const deviceBase = {
  id: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'device id must start with a letter or digit and use only letters, digits, ".", "_" or "-"')
    .describe('Unique name of the device, used in results and on the command line.'),
  class: z
    .string()
    .min(1)
    .optional()
    .describe('Performance class such as "low", "mid" or "high"; budgets can target a class.'),
  description: z.string().optional().describe('Free text shown in reports.'),
  optional: z
    .boolean()
    .optional()
    .describe('Skip the device, with the reason in the results, when its driver finds it unavailable (e.g. an arm64 sysroot not built yet) instead of failing its cells.'),
};

export const LocalDeviceSpec = z
  .strictObject({
    ...deviceBase,
    kind: z.literal('local').describe('The machine edgebench runs on; each cell runs in its own child process.'),
  })
  .describe('The local host.');

export const EmulatedDeviceSpec = z
  .strictObject({
    ...deviceBase,
    kind: z.literal('emulated').describe('This machine, constrained like a weaker device: the runner runs in its own cgroup.'),
    cpus: z.array(z.number().int().nonnegative()).min(1).describe('Cores the runner is pinned to (cpuset), e.g. [0].'),
    cpuQuota: z.number().positive().max(1024).optional().describe('CPU time per scheduling period as a share of one core, e.g. 0.5 for half a core; none when omitted.'),
    memoryMiB: z.number().int().min(32).optional().describe('Memory cap in MiB (swap included); a variant that needs more is recorded as OOM at this cap.'),
    fallback: z
      .enum(['none', 'taskset'])
      .default('none')
      .describe('When no cgroup can be written: "none" reports the device unavailable; "taskset" pins the cores only (no CPU quota, no memory cap) and says so in the results.'),
  })
  .describe('An emulated low-end device: a constrained profile on this machine.');

export const QemuArm64DeviceSpec = z
  .strictObject({
    ...deviceBase,
    kind: z.literal('qemu-arm64').describe('An ARM64 board emulated on this machine: the runner runs in an arm64 Node.js under qemu-aarch64 user-mode emulation.'),
    sysroot: z
      .string()
      .min(1)
      .optional()
      .describe("Directory holding the arm64 Node.js (usr/bin/node) and its libraries, relative to the directory edgebench runs in. Default: edgebench's .cache/arm64-sysroot, built by `npm run setup:arm64`."),
    qemu: z.string().min(1).default('qemu-aarch64').describe('The qemu-aarch64 binary: a path, or a name looked up on PATH (Debian package qemu-user).'),
    cpuModel: z
      .string()
      .min(1)
      .default('cortex-a76')
      .describe('CPU model qemu emulates (-cpu): cortex-a53, cortex-a72, cortex-a76, neoverse-n1, ... (`qemu-aarch64 -cpu help` lists them). onnxruntime picks its kernels for this core.'),
  })
  .describe('An emulated ARM64 board: outputs and accuracy are those of ARM kernels, timings are not representative of real hardware.');

export const BrowserDeviceSpec = z
  .strictObject({
    ...deviceBase,
    kind: z.literal('browser').describe('A headless Chromium on this machine: the model runs in a web page on onnxruntime-web (WebAssembly), driven through WebdriverIO.'),
    cpuThrottling: z
      .number()
      .min(1)
      .max(100)
      .default(1)
      .describe('CPU slowdown Chromium applies to the page (CDP Emulation.setCPUThrottlingRate), e.g. 4 for a mid-tier phone; 1 means none. Nominal: the measured slowdown varies, so compare the latencies themselves.'),
    threads: z.number().int().min(1).max(64).default(1).describe("WebAssembly threads for onnxruntime-web (env.wasm.numThreads); the suite's intraOpThreads does not apply in the browser."),
    chromium: z.string().min(1).optional().describe('Chromium binary. Default: EDGEBENCH_CHROMIUM, else /usr/lib/chromium/chromium (Debian package chromium).'),
    chromedriver: z.string().min(1).optional().describe('chromedriver binary matching that Chromium. Default: EDGEBENCH_CHROMEDRIVER, else /usr/bin/chromedriver (Debian package chromium-driver).'),
  })
  .describe('A web browser on this machine: the variant runs in onnxruntime-web inside headless Chromium, one fresh browser per cell.');

/**
 * Device kinds edgebench knows of. Only those with a driver are accepted;
 * the rest are named so that a devices.yaml written for them gets a clear
 * "not implemented yet" instead of "unknown kind".
 */
export const IMPLEMENTED_DEVICE_KINDS = ['local', 'emulated', 'qemu-arm64', 'browser'] as const;
export const PLANNED_DEVICE_KINDS = ['appium', 'ssh'] as const;

export const DeviceSpec = z.discriminatedUnion('kind', [LocalDeviceSpec, EmulatedDeviceSpec, QemuArm64DeviceSpec, BrowserDeviceSpec]);
export type DeviceSpec = z.infer<typeof DeviceSpec>;
export const DeviceKind = z.enum(IMPLEMENTED_DEVICE_KINDS);
export type DeviceKind = z.infer<typeof DeviceKind>;

export const DevicesFile = z
  .strictObject({
    $schema: z.string().optional(),
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
  })
  .describe('edgebench device inventory (devices.yaml).');
export type DevicesFile = z.infer<typeof DevicesFile>;
