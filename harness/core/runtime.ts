import { z } from 'zod';

/**
 * The inference runtimes edgebench can run a variant on. Which device kinds
 * host each one, and each kind's default, are in harness/runtimes/registry.ts.
 */
export const RuntimeName = z
  .enum(['onnxruntime-node', 'onnxruntime-web', 'llama.cpp', 'wllama'])
  .describe(
    'Inference runtime. onnxruntime-node: the native onnxruntime in a Node.js runner (local, emulated, qemu-arm64, ssh). onnxruntime-web: onnxruntime compiled to WebAssembly in a web page (browser, appium). llama.cpp: GGUF files through node-llama-cpp in a Node.js runner (local, emulated, ssh). wllama: GGUF files through llama.cpp compiled to WebAssembly in a web page (browser).',
  );
export type RuntimeName = z.infer<typeof RuntimeName>;

/** A runtime as a runner reports it: which one, and its version. */
export const RuntimeIdentity = z.strictObject({ name: RuntimeName, version: z.string() });
export type RuntimeIdentity = z.infer<typeof RuntimeIdentity>;

export const GraphOptimizationLevel = z.enum(['disabled', 'basic', 'extended', 'all']);

export const RuntimeOptions = z
  .strictObject({
    name: RuntimeName.optional().describe(
      "Runtime for every variant that names none; default: the device kind's own (onnxruntime-node on Node.js devices, onnxruntime-web in browsers).",
    ),
    intraOpThreads: z.number().int().min(1).max(1024).optional().describe('Threads inside one operator; unset means onnxruntime chooses (all cores).'),
    interOpThreads: z.number().int().min(1).max(1024).optional().describe('Threads across operators (parallel execution mode only).'),
    graphOptimizationLevel: GraphOptimizationLevel.default('all').describe('onnxruntime graph optimisation level.'),
    executionMode: z
      .enum(['sequential', 'parallel'])
      .default('sequential')
      .describe('onnxruntime execution mode: operators one at a time, or in parallel across interOpThreads.'),
  })
  .describe('The runtime and its session options, the same for every variant so they compare fairly.');
export type RuntimeOptions = z.infer<typeof RuntimeOptions>;
