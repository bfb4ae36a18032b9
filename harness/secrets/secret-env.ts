/** Variables whose names say they hold the cloud baseline's endpoint or key: never passed on to a runner. */
export const BASELINE_ENV_PREFIX = 'EDGEBENCH_BASELINE_';

const declared = new Set<string>();

/**
 * Names an environment variable that holds a secret (an API key, a URL with credentials, a user name for a
 * device cloud), so that processes edgebench starts for untrusted work never inherit it.
 */
export function declareSecretEnv(name: string): void {
  declared.add(name);
}

export function isSecretEnv(name: string): boolean {
  return name.startsWith(BASELINE_ENV_PREFIX) || declared.has(name);
}

/**
 * The environment of a runner process: edgebench's own, without any variable holding a secret, with `extra`
 * over it. A runner measures a model and needs none of the baseline's or a device cloud's credentials.
 */
export function runnerEnvironment(extra: Record<string, string> = {}, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined && !isSecretEnv(name)) out[name] = value;
  return { ...out, ...extra };
}
