/**
 * A run id names the run's folder, so it must be one plain folder name: no
 * separators, no "..", nothing that leads outside the folder it is put in.
 */
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export const RUN_ID_RULE = 'use letters, digits, ".", "_" and "-" only, starting with a letter or digit';

export function isRunId(value: string): boolean {
  return RUN_ID.test(value) && value.length <= 200;
}
