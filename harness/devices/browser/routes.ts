import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { inspectModel } from '../../onnx/model-file.ts';
import { webRunnerBundle } from '../../runner/web/bundle.ts';
import { PAGE_PATHS, runnerPageHtml } from './page.ts';
import type { Route } from './page-server.ts';
import type { RunnerJob } from '../../core/runner-protocol.ts';
import type { PageJob } from '../../runner/web/page-api.ts';

const ORT_WEB_DIST = dirname(createRequire(import.meta.url).resolve('onnxruntime-web'));
/** onnxruntime-web's WASM-only build and the one runtime it loads (SIMD; threaded when numThreads > 1). */
const ORT_FILES = ['ort.wasm.min.mjs', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'];

const JAVASCRIPT = 'text/javascript; charset=utf-8';
const MODEL_PATH = '/model/model.onnx';

export interface RunnerRoutes {
  routes: Map<string, Route>;
  modelPath: string;
  /** External data: the location the model names, and the URL path that serves the file. */
  externalData: { path: string; urlPath: string }[];
}

/** Everything the runner page may fetch for one variant, and nothing else. */
export async function runnerRoutes(modelFile: string): Promise<RunnerRoutes> {
  const routes = new Map<string, Route>([
    [PAGE_PATHS.page, { contentType: 'text/html; charset=utf-8', body: runnerPageHtml() }],
    [PAGE_PATHS.runner, { contentType: JAVASCRIPT, body: await webRunnerBundle() }],
    ...ORT_FILES.map((name): [string, Route] => [
      `${PAGE_PATHS.ortFolder}${name}`,
      { contentType: name.endsWith('.wasm') ? 'application/wasm' : JAVASCRIPT, file: join(ORT_WEB_DIST, name) },
    ]),
    [MODEL_PATH, { contentType: 'application/octet-stream', file: modelFile }],
  ]);
  const externalData = (await externalDataLocations(modelFile)).map((location, index) => ({ path: location, urlPath: `/model/external-${index}` }));
  for (const { path, urlPath } of externalData) routes.set(urlPath, { contentType: 'application/octet-stream', file: join(dirname(modelFile), path) });
  return { routes, modelPath: MODEL_PATH, externalData };
}

// A model that cannot be read is still served as it is: the page's
// InferenceSession.create then fails, and the cell records MODEL_LOAD_FAILED as on every device.
async function externalDataLocations(modelFile: string): Promise<string[]> {
  try {
    return (await inspectModel(modelFile)).externalData.map((e) => e.location);
  } catch {
    return [];
  }
}

let version: Promise<string> | undefined;

export function onnxruntimeWebVersion(): Promise<string> {
  version ??= readFile(join(ORT_WEB_DIST, '..', 'package.json'), 'utf8').then((text) => (JSON.parse(text) as { version: string }).version);
  return version;
}

/** The job as the page receives it: the variant's files at the URLs the page server (seen from the device at `origin`) serves them. */
export function pageJobFor(job: RunnerJob, origin: string, served: RunnerRoutes, threads: number): PageJob {
  return {
    job,
    modelUrl: `${origin}${served.modelPath}`,
    externalData: served.externalData.map(({ path, urlPath }) => ({ path, data: `${origin}${urlPath}` })),
    wasmPaths: `${origin}${PAGE_PATHS.ortFolder}`,
    threads,
  };
}
