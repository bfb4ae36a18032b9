/**
 * A problem with user input, found before any device is touched.
 * Every message names the file, the field path inside it and how to fix it,
 * because the reader is usually a CI log, not the person who wrote the config.
 */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly field: string | undefined,
    readonly problem: string,
    readonly fix: string,
  ) {
    super(`${file}${field ? `: ${field}` : ''}: ${problem}\n  fix: ${fix}`);
    this.name = 'ConfigError';
  }
}

/** Problems shown in one message; a hostile file can have tens of thousands, and a CI log needs the first few. */
const SHOWN_ERRORS = 50;

/** Several problems in one file are reported together so one edit fixes them all. */
export class ConfigErrors extends Error {
  constructor(readonly errors: ConfigError[]) {
    const more = errors.length - SHOWN_ERRORS;
    super([...errors.slice(0, SHOWN_ERRORS).map((e) => e.message), ...(more > 0 ? [`... and ${more} more problem(s) of the same kinds`] : [])].join('\n'));
    this.name = 'ConfigErrors';
  }
}

/** `devices[1].options.cores` style path, as users see it in their YAML. */
export function formatFieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out || '(document)';
}
