import { dirname, extname, join } from 'node:path';
import type { RunnerJob } from '../../core/runner-protocol.ts';
import { readGgufInfo } from '../../gguf/read-gguf.ts';
import { inspectModel } from '../../onnx/model-file.ts';
import type { RuntimesOf } from '../../runtimes/registry.ts';
import { webRunnerBundle } from '../../runner/web/bundle.ts';
import type { PageJob } from '../../runner/web/page-api.ts';
import { PAGE_PATHS, runnerPageHtml } from './page.ts';
import type { Route } from './page-server.ts';
import { runtimeAssets, webRuntimePackageVersion } from './runtime-assets.ts';

const JAVASCRIPT = 'text/javascript; charset=utf-8';

export interface RunnerRoutes {
  routes: Map<string, Route>;
  modelPath: string;
  /** External data: the location the model names, and the URL path that serves the file. */
  externalData: { path: string; urlPath: string }[];
  /** The runtime whose files are served. */
  runtime: RuntimesOf<'web'>;
  /** A GGUF model's training context length, when its header could be read. */
  contextLength?: number;
}

/** The web runtime a job runs on: the one it names (the page refuses a runtime it does not hold), else onnxruntime-web. */
export function webRuntimeOf(job: RunnerJob): RuntimesOf<'web'> {
  const name = job.runtime.name;
  return name !== undefined && name in runtimeAssets ? (name as RuntimesOf<'web'>) : 'onnxruntime-web';
}

/** Everything the runner page may fetch for one variant on one runtime, and nothing else. */
export async function runnerRoutes(modelFile: string, runtime: RuntimesOf<'web'>): Promise<RunnerRoutes> {
  const assets = runtimeAssets[runtime];
  const modelPath = `/model/model${extname(modelFile).toLowerCase()}`;
  const routes = new Map<string, Route>([
    [PAGE_PATHS.page, { contentType: 'text/html; charset=utf-8', body: runnerPageHtml(`${assets.folder}${assets.module}`, assets.global) }],
    [PAGE_PATHS.runner, { contentType: JAVASCRIPT, body: await webRunnerBundle() }],
    ...assets.files.map((name): [string, Route] => [
      `${assets.folder}${name}`,
      { contentType: name.endsWith('.wasm') ? 'application/wasm' : JAVASCRIPT, file: join(assets.dist, name) },
    ]),
    [modelPath, { contentType: 'application/octet-stream', file: modelFile }],
  ]);
  if (runtime === 'wllama') {
    const contextLength = await ggufContextLength(modelFile);
    return { routes, modelPath, externalData: [], runtime, ...(contextLength ? { contextLength } : {}) };
  }
  const externalData = (await externalDataLocations(modelFile)).map((location, index) => ({ path: location, urlPath: `/model/external-${index}` }));
  for (const { path, urlPath } of externalData) routes.set(urlPath, { contentType: 'application/octet-stream', file: join(dirname(modelFile), path) });
  return { routes, modelPath, externalData, runtime };
}

// A model that cannot be read is still served as it is: the page's runtime
// then fails to load it, and the cell records MODEL_LOAD_FAILED as on every device.
async function externalDataLocations(modelFile: string): Promise<string[]> {
  try {
    return (await inspectModel(modelFile)).externalData.map((e) => e.location);
  } catch {
    return [];
  }
}

async function ggufContextLength(modelFile: string): Promise<number | undefined> {
  try {
    return (await readGgufInfo(modelFile)).description.contextLength;
  } catch {
    return undefined;
  }
}

export function onnxruntimeWebVersion(): Promise<string> {
  return webRuntimePackageVersion('onnxruntime-web');
}

/** The job as the page receives it: the variant's files at the URLs the page server (seen from the device at `origin`) serves them. */
export function pageJobFor(job: RunnerJob, origin: string, served: RunnerRoutes, threads: number): PageJob {
  return {
    job,
    modelUrl: `${origin}${served.modelPath}`,
    externalData: served.externalData.map(({ path, urlPath }) => ({ path, data: `${origin}${urlPath}` })),
    wasmPaths: `${origin}${runtimeAssets[served.runtime].folder}`,
    threads,
    ...(served.contextLength ? { contextLength: served.contextLength } : {}),
  };
}
