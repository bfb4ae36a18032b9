import type { DeviceKind } from '../core/device-spec.ts';
import type { RuntimeName } from '../core/runtime.ts';

/** The runner programs a runtime can live in: the Node.js runner (runner/child.ts) or the runner page (runner/web/web-runner.ts). */
export type RunnerProgram = 'node' | 'web';

export interface RuntimeEntry {
  description: string;
  /** Device kinds whose runner can load this runtime. */
  hosts: readonly DeviceKind[];
  /** Why a device kind outside hosts cannot, when there is more to say than that it is not a host. */
  refusals?: Partial<Record<DeviceKind, string>>;
  runner: RunnerProgram;
  /** The model files it reads. */
  format: ModelFormat;
}

/** The two model formats: ONNX graphs, and GGUF files (llama.cpp's). */
export type ModelFormat = 'onnx' | 'gguf';

/** Every runtime: where it runs. The implementations are in this folder, named after the runtime. */
export const runtimes = {
  'onnxruntime-node': {
    description: 'the native onnxruntime in a Node.js runner',
    hosts: ['local', 'emulated', 'qemu-arm64', 'ssh'],
    runner: 'node',
    format: 'onnx',
  },
  'onnxruntime-web': {
    description: 'onnxruntime compiled to WebAssembly, in a web page',
    hosts: ['browser', 'appium'],
    runner: 'web',
    format: 'onnx',
  },
  'llama.cpp': {
    description: "llama.cpp for GGUF files, node-llama-cpp's prebuilt CPU binary in a Node.js runner",
    hosts: ['local', 'emulated', 'ssh'],
    refusals: {
      'qemu-arm64': "the emulated board's arm64 Node.js (Debian 12's, v18) cannot load node-llama-cpp, which needs Node.js 20 or newer",
      browser: 'llama.cpp here is the Node.js binding; the runner page runs GGUF files on wllama, its WebAssembly build',
      appium: 'llama.cpp runs in a Node.js runner; the runner page runs GGUF files on wllama, which Appium devices do not host',
    },
    runner: 'node',
    format: 'gguf',
  },
  wllama: {
    description: 'llama.cpp compiled to WebAssembly (@wllama/wllama) for GGUF files, in a web page',
    hosts: ['browser'],
    refusals: {
      appium:
        "wllama 2.4's builds address 64-bit WebAssembly memory (memory64), which Safari on iOS lacks, and its page has not been run through an Appium session",
    },
    runner: 'web',
    format: 'gguf',
  },
} as const satisfies Record<RuntimeName, RuntimeEntry>;

/** The runtime a device kind runs a variant on when neither the variant nor the suite names one. */
export const defaultRuntimes = {
  local: 'onnxruntime-node',
  emulated: 'onnxruntime-node',
  'qemu-arm64': 'onnxruntime-node',
  ssh: 'onnxruntime-node',
  browser: 'onnxruntime-web',
  appium: 'onnxruntime-web',
} as const satisfies Record<DeviceKind, RuntimeName>;

/**
 * The runtime a GGUF variant runs on when it names none, by device kind: llama.cpp in Node.js runners, wllama in
 * the runner page. Where that runtime is not hosted, its refusal says why the device cannot run GGUF.
 */
export const ggufRuntimes = {
  local: 'llama.cpp',
  emulated: 'llama.cpp',
  'qemu-arm64': 'llama.cpp',
  ssh: 'llama.cpp',
  browser: 'wllama',
  appium: 'wllama',
} as const satisfies Record<DeviceKind, RuntimeName>;

/** The runtimes one runner program holds; each runner keeps a table of exactly these. */
export type RuntimesOf<P extends RunnerProgram> = { [N in RuntimeName]: (typeof runtimes)[N]['runner'] extends P ? N : never }[RuntimeName];

export function hostsRuntime(kind: DeviceKind, name: RuntimeName): boolean {
  return (runtimes[name].hosts as readonly DeviceKind[]).includes(kind);
}

/** The runtimes a device kind can host, its default first. */
export function runtimesFor(kind: DeviceKind): RuntimeName[] {
  const others = (Object.keys(runtimes) as RuntimeName[]).filter((name) => name !== defaultRuntimes[kind] && hostsRuntime(kind, name));
  return [defaultRuntimes[kind], ...others];
}
