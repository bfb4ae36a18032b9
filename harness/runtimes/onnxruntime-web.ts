/**
 * onnxruntime compiled to WebAssembly, in the runner page: the runtime of
 * browser and appium devices. The page imports onnxruntime-web's own module
 * and puts it on globalThis before the runner starts (devices/browser/page.ts),
 * so the runner bundle carries no copy of it; this file imports only its types.
 */
import type * as OrtWeb from 'onnxruntime-web';
import { commonSessionOptions, namedTypeError, onnxruntimeSession } from './onnxruntime-session.ts';
import type { Runtime } from './runtime.ts';

export interface WebRuntimeSettings {
  /** Folder URL of onnxruntime-web's .mjs and .wasm files. */
  wasmPaths: string;
  /** env.wasm.numThreads: onnxruntime-web has no intra-/inter-op thread session options. */
  threads: number;
}

function pageOrt(): typeof OrtWeb {
  const ort = (globalThis as { ort?: typeof OrtWeb }).ort;
  if (!ort) throw new Error('onnxruntime-web is not on the page: the page must import /ort/ort.wasm.min.mjs and set globalThis.ort before the runner');
  return ort;
}

/**
 * The smallest model onnxruntime-web will create a session for: one Identity over a float [1] (opset 13), as
 * harness/onnx/build.ts encodes it (test/runtimes/onnxruntime-web-start.test.ts checks the bytes). onnxruntime-web
 * has no public call that starts its WebAssembly without a model, so start() creates and releases a session of this.
 */
export const START_MODEL_BASE64 =
  'CAgSCWVkZ2ViZW5jaDpJCh4KAXgSAXkaCklkZW50aXR5X3kiCElkZW50aXR5OgASBXN0YXJ0Wg8KAXgSCgoICAESBAoCCAFiDwoBeRIKCggIARIECgIIAUIECgAQDQ==';

/** Configures the page's onnxruntime-web (once, before any model loads) and returns it as a Runtime. */
export function onnxruntimeWeb(settings: WebRuntimeSettings): Runtime {
  const ort = pageOrt();
  ort.env.wasm.wasmPaths = settings.wasmPaths;
  ort.env.wasm.numThreads = settings.threads;
  ort.env.logLevel = 'error';
  return {
    name: 'onnxruntime-web',
    version: () => ort.env.versions.web ?? ort.env.versions.common,
    // The first session compiles and instantiates onnxruntime-web's 14 MB WebAssembly module: the runtime's start, not the model's load.
    async start() {
      const bytes = Uint8Array.from(atob(START_MODEL_BASE64), (c) => c.charCodeAt(0));
      const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
      await session.release();
    },
    async load(model, options) {
      try {
        const session = await ort.InferenceSession.create(model.location, {
          ...commonSessionOptions(options),
          executionProviders: ['wasm'],
          ...(model.externalData ? { externalData: model.externalData } : {}),
        });
        return onnxruntimeSession(ort, session);
      } catch (error) {
        throw namedTypeError(error);
      }
    },
  };
}
