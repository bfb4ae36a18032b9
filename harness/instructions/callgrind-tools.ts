import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

const ADDON_SOURCE = fileURLToPath(new URL('./callgrind-addon.c', import.meta.url));
// Beside the runner bundle: built once per addon source and Node.js version.
const CACHE_DIR = fileURLToPath(new URL('../../node_modules/.cache/edgebench/', import.meta.url));

/** What a device needs to count instructions: valgrind, and the addon the runner dumps per-inference counts with. */
export type CallgrindTools = { valgrind: string; addon: string } | { unavailable: string };

export const INSTALL_FIX =
  'install valgrind and a C compiler (Debian/Ubuntu: sudo apt-get install valgrind build-essential; scripts/setup.sh does it), then run again';

/** A program on PATH, as the runner's parent would start it. */
export function onPath(program: string, path = process.env.PATH ?? ''): string | undefined {
  return path
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, program))
    .find((file) => existsSync(file));
}

/** Where Node.js's own headers (node_api.h) are: beside the node binary, or where Debian's nodejs package puts them. */
function nodeHeaders(): string | undefined {
  return [join(dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node', '/usr/local/include/node'].find((dir) =>
    existsSync(join(dir, 'node_api.h')),
  );
}

const once = new Map<string, Promise<CallgrindTools>>();

/** valgrind and the addon, built on first use; or why instructions cannot be counted here, and the fix. */
export function callgrindTools(path = process.env.PATH ?? ''): Promise<CallgrindTools> {
  let tools = once.get(path);
  if (!tools) once.set(path, (tools = findTools(path)));
  return tools;
}

async function findTools(path: string): Promise<CallgrindTools> {
  const valgrind = onPath('valgrind', path);
  if (!valgrind) return { unavailable: `valgrind is not installed (not on PATH): ${INSTALL_FIX}` };
  try {
    return { valgrind, addon: await buildAddon(path) };
  } catch (error) {
    return { unavailable: (error as Error).message };
  }
}

/** Compiles callgrind-addon.c against Node.js's headers and valgrind's callgrind.h; content-addressed, so built once. */
export async function buildAddon(path = process.env.PATH ?? ''): Promise<string> {
  const source = await readFile(ADDON_SOURCE);
  const key = createHash('sha256').update(source).update(process.version).update(process.arch).digest('hex').slice(0, 16);
  const file = `${CACHE_DIR}callgrind-${key}.node`;
  if (existsSync(file)) return file;
  const compiler = onPath('cc', path) ?? onPath('gcc', path) ?? onPath('clang', path);
  if (!compiler) throw new Error(`no C compiler (cc) to build the callgrind addon: ${INSTALL_FIX}`);
  const headers = nodeHeaders();
  if (!headers)
    throw new Error(`Node.js's headers (node_api.h) are not installed: install the nodejs package's headers (Debian: nodejs or libnode-dev), then run again`);
  await mkdir(CACHE_DIR, { recursive: true });
  const partial = `${file}.${process.pid}.partial`;
  const built = await execa(compiler, ['-O2', '-shared', '-fPIC', '-DNODE_GYP_MODULE_NAME=callgrind', `-I${headers}`, '-o', partial, ADDON_SOURCE], {
    reject: false,
    env: { PATH: path },
    extendEnv: false,
  });
  if (built.exitCode !== 0) {
    const missingHeader = /valgrind\/callgrind\.h/.test(String(built.stderr));
    throw new Error(
      `the callgrind addon did not compile${missingHeader ? " (valgrind's headers are missing)" : ''}: ${String(built.stderr).trim().split('\n').slice(-2).join(' ')}; ${INSTALL_FIX}`,
    );
  }
  await rename(partial, file);
  return file;
}
