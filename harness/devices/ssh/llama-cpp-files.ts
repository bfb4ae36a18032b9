import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { atomicWrite } from '../../files/atomic-write.ts';
import { sha256Text } from '../../files/hash.ts';
import { nodeLlamaCppDir } from '../../runtimes/llama-cpp-binding.ts';
import { DeviceProblem } from './connection.ts';
import { cachedFile, filesUnder, manifestOf, type CachedFile } from './push.ts';

interface PackageJson {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  os?: string[];
  cpu?: string[];
}

/** node-llama-cpp's prebuilt binaries, one package per platform; only the board's CPU build is pushed (not cuda, vulkan, armv7l). */
export const llamaCppBinaryPackage = (arch: 'x64' | 'arm64') => `@node-llama-cpp/linux-${arch}`;

const readPackage = (dir: string) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;

/** Where Node.js finds `name` when `from` (a package folder) imports it: the nearest node_modules folder up the tree that has it. */
function packageFolder(name: string, from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dirname(dir) === dir) return undefined;
  }
}

/** A package npm would install on linux/<arch>: optional platform packages (os, cpu fields) for others are not pushed. */
const fitsBoard = (pkg: PackageJson, arch: string) => (!pkg.os || pkg.os.includes('linux')) && (!pkg.cpu || pkg.cpu.includes(arch));

/**
 * The package folders node-llama-cpp loads from on linux/<arch>: itself, its
 * dependencies and theirs (each where this checkout's node_modules has it),
 * and of its @node-llama-cpp/* binary packages only linux-<arch>.
 */
function packageFolders(root: string, arch: 'x64' | 'arm64'): string[] {
  const binary = llamaCppBinaryPackage(arch);
  const folders = new Set<string>([root]);
  const queue = [root];
  for (let dir = queue.shift(); dir; dir = queue.shift()) {
    const pkg = readPackage(dir);
    const optional = new Set(Object.keys(pkg.optionalDependencies ?? {}));
    for (const name of [...Object.keys(pkg.dependencies ?? {}), ...optional]) {
      if (name.startsWith('@node-llama-cpp/') && name !== binary) continue;
      const folder = packageFolder(name, dir);
      if (!folder) {
        if (optional.has(name)) continue;
        throw new DeviceProblem(`${pkg.name} needs ${name}, which is not installed here: reinstall the dependencies (npm ci)`);
      }
      if (folders.has(folder) || !fitsBoard(readPackage(folder), arch)) continue;
      folders.add(folder);
      queue.push(folder);
    }
  }
  return [...folders];
}

/** What of a package the runner loads: its package.json, JavaScript and native addons (no type declarations, source maps, docs). */
const loadedByNode = (path: string) => /\.(c?js|mjs|json|node)$/.test(path) && !path.endsWith('.d.ts');

/** Per package folder, the files pushed: node-llama-cpp's dist and the JSON it reads from llama/ (not the 34 MB llama.cpp source bundle), every file of the binary package. */
function keepFor(name: string, binary: string): (path: string) => boolean {
  if (name === 'node-llama-cpp')
    return (p) => p === 'package.json' || (p.startsWith('dist/') && loadedByNode(p)) || /^llama\/[^/]+\.json$/.test(p) || p.startsWith('llama/grammars/');
  if (name === binary) return (p) => p === 'package.json' || p.startsWith('dist/') || p.startsWith('bins/');
  return (p) => loadedByNode(p) && !/(^|\/)(test|tests|__tests__)\//.test(p);
}

/** The tree pushed for GGUF cells: its folder, node-llama-cpp's folder in it, its files and the file that lists them. */
export interface LlamaCppTree {
  dir: string;
  packageDir: string;
  /** Every file of the tree, `manifest` included. */
  files: CachedFile[];
  /**
   * The tree's sha256sum check-file, pushed with it: ~1300 lines, too long for
   * one argument of the run command (Linux caps one at 128 KiB), so the command
   * checks this file's sha256 and then the tree with it.
   */
  manifest: CachedFile;
}

// Beside the runner bundles (runner/bundle.ts).
const CACHE_DIR = fileURLToPath(new URL('../../../node_modules/.cache/edgebench/', import.meta.url));

const pushed = new Map<string, Promise<LlamaCppTree>>();

/**
 * What a GGUF cell needs on a board beside the runner: node-llama-cpp's
 * JavaScript with its dependencies, and its prebuilt llama.cpp binary for the
 * board's architecture, as a node_modules tree laid out as it is here, in a
 * folder of its own named by the hash of its files (pushed only to boards that
 * run GGUF cells). Nothing is downloaded or compiled: a binary package this
 * checkout lacks is a reason the cell cannot run. `packageDir` is
 * node-llama-cpp's folder in it, relative to the board's cache.
 */
export function llamaCppFiles(arch: 'x64' | 'arm64', root = nodeLlamaCppDir()): Promise<LlamaCppTree> {
  const key = `${root}\0${arch}`;
  if (!pushed.has(key)) {
    const files = readLlamaCppFiles(arch, root);
    pushed.set(key, files);
    files.catch(() => pushed.delete(key));
  }
  return pushed.get(key)!;
}

async function readLlamaCppFiles(arch: 'x64' | 'arm64', root: string): Promise<LlamaCppTree> {
  const binary = llamaCppBinaryPackage(arch);
  const version = readPackage(root).version;
  if (!packageFolder(binary, root))
    throw new DeviceProblem(
      `${binary} (node-llama-cpp's prebuilt llama.cpp for linux-${arch}) is not installed here, and edgebench neither downloads nor compiles it: install it with npm install --no-save --force ${binary}@${version}, or run GGUF cells on boards of an architecture whose binary is installed`,
    );
  // Paths in the pushed tree are those under the node_modules folder holding node-llama-cpp, so nested copies resolve as they do here.
  const packageReal = realpathSync(root);
  const nodeModules = dirname(packageReal);
  const files: CachedFile[] = [];
  for (const folder of packageFolders(packageReal, arch)) {
    const inTree = relative(nodeModules, folder);
    if (inTree.startsWith('..')) throw new DeviceProblem(`${folder} is outside ${nodeModules}: node-llama-cpp's dependencies cannot be laid out for the board`);
    const keep = keepFor(readPackage(folder).name, binary);
    for (const path of await filesUnder(folder, keep)) {
      files.push(await cachedFile(join(folder, path), `node_modules/${inTree.split(sep).join('/')}/${path.split(sep).join('/')}`));
    }
  }
  if (!files.some((f) => f.remote.endsWith(`/${binary}/bins/linux-${arch}/llama-addon.node`)))
    throw new DeviceProblem(`${binary} has no llama.cpp binary (bins/linux-${arch}/llama-addon.node): reinstall it (npm ci)`);
  const hash = sha256Text(manifestOf(files)).slice(0, 16);
  const dir = `runtimes/node-llama-cpp-${version}-linux-${arch}-${hash}`;
  const tree = files.map((f) => ({ ...f, remote: `${dir}/${f.remote}` }));
  const local = join(CACHE_DIR, `node-llama-cpp-${version}-linux-${arch}-${hash}.sha256`);
  await atomicWrite(local, manifestOf(tree));
  const manifest = await cachedFile(local, `${dir}/files.sha256`);
  return { dir, packageDir: `${dir}/node_modules/node-llama-cpp`, files: [...tree, manifest], manifest };
}
