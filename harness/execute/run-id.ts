import { randomBytes } from 'node:crypto';

/** A sortable, unique run id: UTC time plus a random suffix. */
export function newRunId(now = new Date()): string {
  return `${now
    .toISOString()
    .replace(/[:.]/g, '-')
    .replace(/-\d{3}Z$/, 'Z')}-${randomBytes(2).toString('hex')}`;
}
