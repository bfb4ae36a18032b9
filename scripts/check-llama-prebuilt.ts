/**
 * Proves that llama.cpp comes from node-llama-cpp's prebuilt npm binaries:
 * it loads with builds and downloads refused, and nothing was compiled or
 * fetched into node-llama-cpp's folder. .ci/run and scripts/setup.sh run it after `npm ci`.
 */
import { llamaBinding, llamaLocalBuildFolders, NODE_LLAMA_CPP_VERSION } from '../harness/runtimes/llama-cpp-binding.ts';

const llama = await llamaBinding();
const built = llamaLocalBuildFolders();
if (llama.buildType !== 'prebuilt' || built.length > 0) {
  console.error(`llama.cpp is not the prebuilt binary: build type ${llama.buildType}${built.length ? `; built or downloaded: ${built.join(', ')}` : ''}`);
  process.exit(1);
}
console.log(
  `llama.cpp ${llama.llamaCppRelease.release} prebuilt by node-llama-cpp ${NODE_LLAMA_CPP_VERSION} for ${process.platform}-${process.arch} (gpu: ${String(llama.gpu)}): nothing compiled, nothing downloaded`,
);
await llama.dispose();
