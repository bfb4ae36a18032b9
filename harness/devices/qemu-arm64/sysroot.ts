import { constants, existsSync, readFileSync } from 'node:fs';
import { canAccess } from '../file-access.ts';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where scripts/setup-arm64.sh puts the sysroot by default: edgebench's own .cache/, wherever edgebench runs from. */
export const DEFAULT_SYSROOT = fileURLToPath(new URL('../../../.cache/arm64-sysroot', import.meta.url));

/** The command that builds a sysroot at `dir` (the default one when `dir` is the default). */
export function setupCommandFor(dir: string): string {
  return dir === DEFAULT_SYSROOT ? 'npm run setup:arm64' : `npm run setup:arm64 -- ${dir}`;
}

/** The file setup-arm64.sh writes last: present only in a complete sysroot. Its first line says what was built. */
const STAMP = '.edgebench-sysroot';

export type Sysroot = { ok: true; dir: string; node: string; builtFrom: string } | { ok: false; dir: string; problem: string };

/**
 * Checks that `configured` (relative to the directory edgebench runs in; the
 * default sysroot when unset) holds an arm64 Node.js the driver can start.
 * A sysroot made some other way (a board's root file system copied here) needs
 * only usr/bin/node and the libraries it links; the stamp is read when present.
 */
export function findSysroot(configured: string | undefined): Sysroot {
  const dir = configured === undefined ? DEFAULT_SYSROOT : resolve(configured);
  const node = join(dir, 'usr/bin/node');
  if (!existsSync(dir)) return { ok: false, dir, problem: `the arm64 sysroot ${dir} does not exist` };
  if (!canAccess(node, constants.X_OK)) {
    const partial = existsSync(`${dir}.partial`) ? ` (${dir}.partial is left from an interrupted build)` : '';
    return { ok: false, dir, problem: `the arm64 sysroot ${dir} has no executable usr/bin/node${partial}` };
  }
  const stamp = join(dir, STAMP);
  const builtFrom = existsSync(stamp) ? readFileSync(stamp, 'utf8').split('\n')[0]! : 'not built by setup-arm64 (no stamp file)';
  return { ok: true, dir, node, builtFrom };
}
