import { z } from 'zod';

/**
 * How a run shares the machine between devices (devices.yaml `scheduling`).
 * Devices run side by side, one runner process at a time on each; the
 * devices whose runners use this machine's own cores are kept apart, because
 * two benchmarks on the same cores corrupt each other's numbers.
 */
export const Scheduling = z
  .strictObject({
    hostDevices: z
      .enum(['exclusive', 'disjoint-cores'])
      .default('exclusive')
      .describe(
        'Devices that run on this machine (local, emulated, qemu-arm64, browser, Appium with the local Chromium): "exclusive" runs one of them at a time; "disjoint-cores" lets emulated devices pinned to disjoint cores (cpus) run together. They still share caches and memory bandwidth, so latencies can differ from an exclusive run.',
      ),
    parallel: z
      .boolean()
      .default(true)
      .describe('false: one runner process at a time across all devices, remote ones included (the order of a run without a scheduler).'),
  })
  .describe('How devices share this machine during a run.');
export type Scheduling = z.infer<typeof Scheduling>;

export const DEFAULT_SCHEDULING: Scheduling = { hostDevices: 'exclusive', parallel: true };
