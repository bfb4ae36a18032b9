import { ConfigError, ConfigErrors } from './errors.ts';
import { DevicesFile, IMPLEMENTED_DEVICE_KINDS, PLANNED_DEVICE_KINDS } from './device-spec.ts';
import { readYaml, validateYaml, type YamlSource } from './load-yaml.ts';

/** Reads devices.yaml and validates it completely before any device is touched. */
export function loadDevices(file: string): DevicesFile {
  const source = readYaml(file, 'device inventory');
  checkKinds(source);
  return validateYaml(source, DevicesFile);
}

// zod alone would answer an unknown or not-yet-implemented kind with "invalid input";
// the kind decides every other field, so it is checked first and named exactly.
function checkKinds(source: YamlSource): void {
  const devices = (source.data as { devices?: unknown } | null)?.devices;
  if (!Array.isArray(devices)) return;
  const implemented: readonly string[] = IMPLEMENTED_DEVICE_KINDS;
  const planned: readonly string[] = PLANNED_DEVICE_KINDS;
  const errors: ConfigError[] = [];
  devices.forEach((device: unknown, index) => {
    const kind = (device as { kind?: unknown } | null)?.kind;
    const path = ['devices', index, 'kind'];
    const where = source.locate(path);
    if (kind === undefined) {
      errors.push(new ConfigError(where, `devices[${index}].kind`, 'every device needs a kind', `add "kind: local" (available kinds: ${implemented.join(', ')})`));
    } else if (typeof kind !== 'string' || !implemented.includes(kind)) {
      const problem = typeof kind === 'string' && planned.includes(kind) ? `device kind "${kind}" is not implemented yet` : `unknown device kind ${JSON.stringify(kind)}`;
      errors.push(new ConfigError(where, `devices[${index}].kind`, problem, `use one of: ${implemented.join(', ')}`));
    }
  });
  if (errors.length > 0) throw new ConfigErrors(errors);
}
