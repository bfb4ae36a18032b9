import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as ortWeb from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { onnxruntimeWeb } from '../../harness/runtimes/onnxruntime-web.ts';
import { describeTasksOn } from '../helpers/runtime-tasks.ts';

// The runner page puts onnxruntime-web on globalThis before the runner starts; Node.js runs its WebAssembly build too.
(globalThis as { ort?: unknown }).ort = ortWeb;
const settings = { wasmPaths: `${dirname(createRequire(import.meta.url).resolve('onnxruntime-web'))}/`, threads: 1 };

describeTasksOn('onnxruntime-web (WebAssembly, in Node.js)', () => onnxruntimeWeb(settings));

describe('onnxruntime-web as a Runtime', () => {
  it('reports its name and the installed onnxruntime-web version, and applies its thread setting', () => {
    const runtime = onnxruntimeWeb({ ...settings, threads: 1 });
    expect(runtime.name).toBe('onnxruntime-web');
    expect(runtime.version()).toBe('1.30.0');
    expect(ortWeb.env.wasm.numThreads).toBe(1);
  });
});
