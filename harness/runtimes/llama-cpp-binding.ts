import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Llama } from 'node-llama-cpp';

/** The node-llama-cpp release edgebench is built against (package.json pins it exactly). */
export const NODE_LLAMA_CPP_VERSION = '3.21.1';

/**
 * Set by a device that pushes node-llama-cpp beside the runner rather than in
 * a node_modules folder the runner resolves from (SSH boards keep it in a
 * folder of its own, pushed only for GGUF cells): the package's folder.
 */
export const NODE_LLAMA_CPP_DIR_ENV = 'EDGEBENCH_NODE_LLAMA_CPP_DIR';

/** node-llama-cpp's package folder: the pushed one the device names, else the one this runner resolves. */
export function nodeLlamaCppDir(): string {
  const pushed = process.env[NODE_LLAMA_CPP_DIR_ENV];
  if (pushed) return pushed;
  // Its exports map only ".": the package folder is two levels above dist/index.js.
  return dirname(dirname(createRequire(import.meta.url).resolve('node-llama-cpp')));
}

function importNodeLlamaCpp(): Promise<typeof import('node-llama-cpp')> {
  const pushed = process.env[NODE_LLAMA_CPP_DIR_ENV];
  // Its own imports (its dependencies, @node-llama-cpp/linux-<arch>) then resolve from the pushed folder's node_modules.
  return pushed ? (import(pathToFileURL(join(pushed, 'dist/index.js')).href) as Promise<typeof import('node-llama-cpp')>) : import('node-llama-cpp');
}

let llama: Promise<Llama> | undefined;

/**
 * llama.cpp from the prebuilt binary node-llama-cpp ships in its npm platform
 * packages (@node-llama-cpp/linux-x64, linux-arm64): `build: 'never'` and
 * `skipDownload` mean it never compiles llama.cpp nor fetches its source, and
 * fails instead when no prebuilt binary fits the machine. CPU only, so every
 * device measures the same backend. Imported on first use: the runner bundle
 * copied to boards without node-llama-cpp (qemu-arm64, and ssh boards that
 * run only ONNX cells) must still start.
 */
export function llamaBinding(): Promise<Llama> {
  llama ??= importNodeLlamaCpp().then(({ getLlama, LlamaLogLevel }) =>
    getLlama({
      build: 'never',
      usePrebuiltBinaries: true,
      skipDownload: true,
      gpu: false,
      progressLogs: false,
      logLevel: LlamaLogLevel.error,
    }),
  );
  return llama;
}

/**
 * Folders node-llama-cpp writes only when it builds llama.cpp or downloads its
 * source; a checkout that uses the prebuilt binaries has none of them.
 */
export function llamaLocalBuildFolders(): string[] {
  const root = nodeLlamaCppDir();
  return ['llama/localBuilds', 'llama/llama.cpp', 'llama/xpack/store', 'llama/xpack/cache']
    .map((folder) => join(root, folder))
    .filter((folder) => existsSync(folder));
}
