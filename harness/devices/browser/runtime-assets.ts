import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { RuntimesOf } from '../../runtimes/registry.ts';

/** What the page server serves for one web runtime, and the module the page imports before the runner. */
export interface RuntimeAssets {
  /** The URL folder the files are served under (the runtime's wasmPaths). */
  folder: string;
  /** The folder on disk, in node_modules. */
  dist: string;
  /** Paths under both folders: every file the runtime fetches, nothing else. */
  files: readonly string[];
  /** The file the page imports, one of files. */
  module: string;
  /** The globalThis name the page puts the module under (the runtime's file in harness/runtimes/ reads it there). */
  global: string;
  /** The npm package, for its version. */
  packageJson: string;
}

const require = createRequire(import.meta.url);
const ORT_WEB_DIST = dirname(require.resolve('onnxruntime-web'));
// The package's main names a file it does not ship: its built files are in esm/.
const WLLAMA_ESM = join(dirname(require.resolve('@wllama/wllama/package.json')), 'esm');

/** Every web runtime's files, served from node_modules: nothing is fetched from anywhere else. */
export const runtimeAssets = {
  // onnxruntime-web's WASM-only build and the one runtime it loads (SIMD; threaded when numThreads > 1).
  'onnxruntime-web': {
    folder: '/ort/',
    dist: ORT_WEB_DIST,
    files: ['ort.wasm.min.mjs', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'],
    module: 'ort.wasm.min.mjs',
    global: 'ort',
    packageJson: join(ORT_WEB_DIST, '..', 'package.json'),
  },
  // wllama's module embeds its worker code; it fetches the single-thread build (1 thread) or the multi-thread one.
  wllama: {
    folder: '/wllama/',
    dist: WLLAMA_ESM,
    files: ['index.js', 'single-thread/wllama.wasm', 'multi-thread/wllama.wasm'],
    module: 'index.js',
    global: 'wllama',
    packageJson: join(WLLAMA_ESM, '..', 'package.json'),
  },
} as const satisfies Record<RuntimesOf<'web'>, RuntimeAssets>;

const versions = new Map<string, Promise<string>>();

/** The runtime package's version, as the page will report it (for constraints before any cell has run). */
export function webRuntimePackageVersion(runtime: RuntimesOf<'web'>): Promise<string> {
  const file = runtimeAssets[runtime].packageJson;
  if (!versions.has(file))
    versions.set(
      file,
      readFile(file, 'utf8').then((text) => (JSON.parse(text) as { version: string }).version),
    );
  return versions.get(file)!;
}
