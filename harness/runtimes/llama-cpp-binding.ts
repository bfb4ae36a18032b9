import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Llama } from 'node-llama-cpp';

/** The node-llama-cpp release edgebench is built against (package.json pins it exactly). */
export const NODE_LLAMA_CPP_VERSION = '3.21.1';

let llama: Promise<Llama> | undefined;

/**
 * llama.cpp from the prebuilt binary node-llama-cpp ships in its npm platform
 * packages (@node-llama-cpp/linux-x64, linux-arm64): `build: 'never'` and
 * `skipDownload` mean it never compiles llama.cpp nor fetches its source, and
 * fails instead when no prebuilt binary fits the machine. CPU only, so every
 * device measures the same backend. Imported on first use: the runner bundle
 * copied to boards without node-llama-cpp (qemu-arm64, ssh) must still start.
 */
export function llamaBinding(): Promise<Llama> {
  llama ??= import('node-llama-cpp').then(({ getLlama, LlamaLogLevel }) =>
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
  const require = createRequire(import.meta.url);
  const root = dirname(dirname(require.resolve('node-llama-cpp')));
  return ['llama/localBuilds', 'llama/llama.cpp', 'llama/xpack/store', 'llama/xpack/cache']
    .map((folder) => join(root, folder))
    .filter((folder) => existsSync(folder));
}
