import { expect } from 'vitest';
import { ConfigError, ConfigErrors } from '../../harness/config/errors.ts';

/** The message of the configuration error `load` throws; fails the test if it throws anything else, or nothing. */
export function configErrorMessage(load: () => unknown): string {
  try {
    load();
  } catch (error) {
    expect(error instanceof ConfigErrors || error instanceof ConfigError).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected a configuration error');
}
