import si from 'systeminformation';
import type { z } from 'zod';
import type { LocalDeviceSpec } from '../core/device-spec.ts';
import { runnerBundle } from '../runner/bundle.ts';
import { spawnRunner } from '../runner/spawn.ts';
import { withInstructionCount } from '../instructions/count-instructions.ts';
import type { DeviceDriver } from './driver.ts';
import { localPlacement } from './local/placement.ts';
import type { DeviceFacts } from '../core/device-facts.ts';

/** The machine edgebench runs on: each cell is a fresh Node.js child process. */
export const localDriver: DeviceDriver<z.infer<typeof LocalDeviceSpec>> = {
  kind: 'local',
  placement: localPlacement,
  takesTurns: true,
  pairsRounds: true,
  latency: 'measured',

  facts: hostFacts,

  async runCell(_spec, job, context) {
    // The runner gets the parent's node binary, and nothing inherited that changes how it runs.
    const command = { file: process.execPath, args: [await runnerBundle()], env: { NODE_OPTIONS: '' } };
    return withInstructionCount(await spawnRunner(command, job, context), command, job, context);
  },
};

/** This machine's facts: every field known. */
type HostFacts = DeviceFacts & Required<Pick<DeviceFacts, 'logicalCores' | 'physicalCores' | 'memoryBytes'>>;

let hostFactsOnce: Promise<HostFacts> | undefined;

export function hostFacts(): Promise<HostFacts> {
  hostFactsOnce ??= (async () => {
    const [cpu, mem, os] = await Promise.all([si.cpu(), si.mem(), si.osInfo()]);
    return {
      cpuModel: [cpu.manufacturer, cpu.brand].filter(Boolean).join(' ') || 'unknown',
      logicalCores: cpu.cores,
      physicalCores: cpu.physicalCores,
      memoryBytes: mem.total,
      os: [os.distro, os.release].filter(Boolean).join(' ') || os.platform,
      kernel: os.kernel,
      arch: os.arch,
      source: 'systeminformation on the host',
    };
  })();
  return hostFactsOnce;
}
