import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../harness/config/errors.ts';
import { IMPLEMENTED_DEVICE_KINDS } from '../../harness/core/device-spec.ts';
import { RuntimeName } from '../../harness/core/runtime.ts';
import { chooseRuntime } from '../../harness/runtimes/choose-runtime.ts';
import { defaultRuntimes, ggufRuntimes, hostsRuntime, runtimes, runtimesFor } from '../../harness/runtimes/registry.ts';

describe('runtime registry', () => {
  it('has an entry for every runtime name, and nothing else', () => {
    expect(Object.keys(runtimes).sort()).toEqual([...RuntimeName.options].sort());
  });

  it('gives every device kind a default it can host, listed first among the runtimes it hosts', () => {
    for (const kind of IMPLEMENTED_DEVICE_KINDS) {
      expect(hostsRuntime(kind, defaultRuntimes[kind]), kind).toBe(true);
      expect(runtimesFor(kind)[0]).toBe(defaultRuntimes[kind]);
    }
  });

  it('places onnxruntime-node on the Node.js devices and onnxruntime-web in browsers', () => {
    expect(runtimesFor('local')).toEqual(['onnxruntime-node', 'llama.cpp']);
    expect(runtimesFor('emulated')).toEqual(['onnxruntime-node', 'llama.cpp']);
    expect(runtimesFor('ssh')).toEqual(['onnxruntime-node', 'llama.cpp']);
    expect(runtimesFor('browser')).toEqual(['onnxruntime-web', 'wllama']);
    expect(runtimesFor('appium')).toEqual(['onnxruntime-web']);
    expect(hostsRuntime('qemu-arm64', 'onnxruntime-web')).toBe(false);
  });

  it('holds each runtime in exactly one runner program, which only its hosts run', () => {
    const nodeKinds = ['local', 'emulated', 'qemu-arm64', 'ssh'];
    for (const entry of Object.values(runtimes)) {
      for (const kind of entry.hosts) expect(nodeKinds.includes(kind)).toBe(entry.runner === 'node');
    }
  });
});

describe('GGUF runtimes and their refusals', () => {
  it('gives every device kind a GGUF runtime of the GGUF format, in the runner program the kind runs', () => {
    for (const kind of IMPLEMENTED_DEVICE_KINDS) {
      const entry = runtimes[ggufRuntimes[kind]];
      expect(entry.format, kind).toBe('gguf');
      expect(entry.runner, kind).toBe(runtimes[defaultRuntimes[kind]].runner);
    }
  });

  it('says why each Node.js or web device kind outside its hosts cannot run GGUF files', () => {
    const refuse = (kind: 'qemu-arm64' | 'ssh' | 'browser' | 'appium', name: RuntimeName = 'llama.cpp') => {
      try {
        chooseRuntime({ id: 'board', kind }, { name, file: 'suites/s.yaml', field: 'variants[0].file' });
      } catch (error) {
        return (error as ConfigError).problem;
      }
      throw new Error(`${kind} accepted llama.cpp`);
    };
    expect(refuse('qemu-arm64')).toContain('needs Node.js 20 or newer');
    expect(refuse('browser')).toContain('the runner page runs GGUF files on wllama');
    expect(refuse('appium')).toContain('it runs only on local, emulated, ssh devices');
    expect(refuse('appium', 'wllama')).toContain('memory64');
    expect(refuse('ssh', 'wllama')).toContain('it runs only on browser devices');
    for (const kind of ['qemu-arm64', 'browser', 'appium'] as const) expect(runtimes['llama.cpp'].refusals[kind]).toBeDefined();
  });
});

describe('chooseRuntime', () => {
  const host = { id: 'host', kind: 'local' } as const;
  const chromium = { id: 'chromium', kind: 'browser' } as const;

  it("takes the device kind's default when nothing is named", () => {
    expect(chooseRuntime(host, undefined)).toBe('onnxruntime-node');
    expect(chooseRuntime(chromium, undefined)).toBe('onnxruntime-web');
  });

  it('takes a named runtime the device hosts', () => {
    expect(chooseRuntime(host, { name: 'onnxruntime-node', file: 's.yaml', field: 'runtime.name' })).toBe('onnxruntime-node');
  });

  it('refuses a named runtime the device cannot host, naming the field, the device and what would work', () => {
    let error: unknown;
    try {
      chooseRuntime(host, { name: 'onnxruntime-web', file: 'suites/s.yaml', field: 'variants[1].runtime' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { field, problem, fix } = error as ConfigError;
    expect(field).toBe('variants[1].runtime');
    expect(problem).toBe(
      'runtime "onnxruntime-web" (onnxruntime compiled to WebAssembly, in a web page) cannot run on device "host" (local): it runs only on browser, appium devices',
    );
    expect(fix).toMatch(
      /^name a runtime a local device hosts \(onnxruntime-node, llama\.cpp\), leave variants\[1\]\.runtime out for its default, or run it on a browser or appium device$/,
    );
  });
});
