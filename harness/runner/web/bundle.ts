import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const WEB_ENTRY = fileURLToPath(new URL('./web-runner.ts', import.meta.url));
const ORT_SHIM = fileURLToPath(new URL('./ort-shim.ts', import.meta.url));

/** The task adapters import onnxruntime-node; in the page they get onnxruntime-web through the shim. */
const onnxruntimeWebShim: Plugin = {
  name: 'onnxruntime-web-shim',
  setup(build) {
    build.onResolve({ filter: /^onnxruntime-node$/ }, () => ({ path: ORT_SHIM }));
  },
};

let cached: Promise<string> | undefined;

/** The page's runner as one ES module, built in memory once per process and served by the browser driver. */
export function webRunnerBundle(): Promise<string> {
  cached ??= build({
    entryPoints: [WEB_ENTRY],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'chrome120',
    plugins: [onnxruntimeWebShim],
    write: false,
    logLevel: 'silent',
  }).then((result) => result.outputFiles[0]!.text);
  return cached;
}
