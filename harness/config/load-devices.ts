import { ConfigError, ConfigErrors } from './errors.ts';
import { DevicesFile, IMPLEMENTED_DEVICE_KINDS } from '../core/device-spec.ts';
import { readYaml, validateYaml, type YamlSource } from './load-yaml.ts';

/** Reads devices.yaml and validates it completely before any device is touched. */
export function loadDevices(file: string): DevicesFile {
  const source = readYaml(file, 'device inventory');
  checkKinds(source);
  return validateYaml(source, DevicesFile);
}

// zod alone would answer an unknown kind with "invalid input";
// the kind decides every other field, so it is checked first and named exactly.
function checkKinds(source: YamlSource): void {
  const devices = (source.data as { devices?: unknown } | null)?.devices;
  if (!Array.isArray(devices)) return;
  const implemented: readonly string[] = IMPLEMENTED_DEVICE_KINDS;
  const errors: ConfigError[] = [];
  devices.forEach((device: unknown, index) => {
    const kind = (device as { kind?: unknown } | null)?.kind;
    const path = ['devices', index, 'kind'];
    const where = source.locate(path);
    if (kind === undefined) {
      errors.push(
        new ConfigError(where, `devices[${index}].kind`, 'every device needs a kind', `add "kind: local" (available kinds: ${implemented.join(', ')})`),
      );
    } else if (typeof kind !== 'string' || !implemented.includes(kind)) {
      errors.push(new ConfigError(where, `devices[${index}].kind`, `unknown device kind ${JSON.stringify(kind)}`, `use one of: ${implemented.join(', ')}`));
    }
  });
  if (errors.length > 0) throw new ConfigErrors(errors);
}
