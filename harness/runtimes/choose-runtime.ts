import { ConfigError } from '../config/errors.ts';
import type { DeviceKind } from '../core/device-spec.ts';
import type { RuntimeName } from '../core/runtime.ts';
import { defaultRuntimes, hostsRuntime, runtimes, runtimesFor, type RuntimeEntry } from './registry.ts';

/** A runtime the suite names, and the field that names it (for the error message). */
export interface RuntimeRequest {
  name: RuntimeName;
  file: string;
  field: string;
}

/**
 * The runtime a device runs a variant on: the one the variant or the suite
 * names, else the device kind's default. A named runtime the device cannot
 * host is a config error, found before anything runs.
 */
export function chooseRuntime(device: { id: string; kind: DeviceKind }, request: RuntimeRequest | undefined): RuntimeName {
  if (!request) return defaultRuntimes[device.kind];
  if (hostsRuntime(device.kind, request.name)) return request.name;
  const entry: RuntimeEntry = runtimes[request.name];
  const { description, hosts } = entry;
  const why = entry.refusals?.[device.kind];
  throw new ConfigError(
    request.file,
    request.field,
    `runtime "${request.name}" (${description}) cannot run on device "${device.id}" (${device.kind}): ${why ? `${why}; ` : ''}it runs only on ${hosts.join(', ')} devices`,
    `name a runtime a ${device.kind} device hosts (${runtimesFor(device.kind).join(', ')}), leave ${request.field} out for its default, or run it on a ${hosts.join(' or ')} device`,
  );
}
