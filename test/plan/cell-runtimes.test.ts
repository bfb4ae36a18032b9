import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../harness/config/errors.ts';
import type { DeviceSpec } from '../../harness/core/device-spec.ts';
import { Suite } from '../../harness/core/suite.ts';
import { cellRuntimeOptions, cellRuntimes } from '../../harness/plan/cell-runtimes.ts';

const devices = [
  { id: 'host', kind: 'local' },
  { id: 'chromium', kind: 'browser' },
] as DeviceSpec[];

const suite = (runtime: Record<string, unknown>, variants: Record<string, unknown>[]) =>
  Suite.parse({ name: 's', task: 'forward', dataset: 'd.jsonl', runtime, variants: variants.map((v) => ({ precision: 'fp32', file: 'm.onnx', ...v })) });

describe('cellRuntimes', () => {
  it('gives each device its default when nothing is named', () => {
    const errors: ConfigError[] = [];
    const runtimes = cellRuntimes(suite({}, [{ name: 'a' }]), 's.yaml', devices, errors);
    expect(errors).toEqual([]);
    expect(runtimes.get('a')).toEqual({ host: 'onnxruntime-node', chromium: 'onnxruntime-web' });
  });

  it('reports a suite runtime a device cannot host once, however many variants inherit it, and lets a variant name its own', () => {
    const errors: ConfigError[] = [];
    const runtimes = cellRuntimes(
      suite({ name: 'onnxruntime-node' }, [{ name: 'a' }, { name: 'b' }, { name: 'web', runtime: 'onnxruntime-web' }]),
      's.yaml',
      [devices[1]!],
      errors,
    );
    expect(errors.map((e) => [e.field, e.problem.split(':')[0]])).toEqual([
      ['runtime.name', 'runtime "onnxruntime-node" (the native onnxruntime in a Node.js runner) cannot run on device "chromium" (browser)'],
    ]);
    expect(runtimes.get('web')).toEqual({ chromium: 'onnxruntime-web' });
  });
});

describe('cellRuntimes of a GGUF variant', () => {
  const gguf = { name: 'q4_k_m', file: 'm.gguf', precision: 'int4' };

  it('runs it on llama.cpp on Node.js devices and on wllama in browsers, whatever the suite runtime is', () => {
    const errors: ConfigError[] = [];
    const runtimes = cellRuntimes(suite({ name: 'onnxruntime-node' }, [gguf]), 's.yaml', devices, errors);
    expect(errors).toEqual([]);
    expect(runtimes.get('q4_k_m')).toEqual({ host: 'llama.cpp', chromium: 'wllama' });
  });

  it('refuses it on an Appium device with the reason, and refuses llama.cpp or wllama named for an ONNX variant', () => {
    const errors: ConfigError[] = [];
    cellRuntimes(suite({}, [gguf]), 's.yaml', [{ id: 'phone', kind: 'appium' } as DeviceSpec], errors);
    expect(errors.map((e) => [e.field, e.problem])).toEqual([
      ['variants[0].file', expect.stringMatching(/^runtime "wllama" .* cannot run on device "phone" \(appium\): .*memory64/)],
    ]);
    errors.length = 0;
    cellRuntimes(suite({}, [{ name: 'onnx', runtime: 'wllama' }]), 's.yaml', devices, errors);
    expect(errors.map((e) => e.problem)).toEqual(['variant "onnx" is an ONNX model: wllama runs GGUF files only']);
  });

  it('chooses its runtime only on the devices it names', () => {
    const errors: ConfigError[] = [];
    const runtimes = cellRuntimes(suite({}, [{ name: 'fp32' }, { ...gguf, devices: ['host'] }]), 's.yaml', devices, errors);
    expect(errors).toEqual([]);
    expect(runtimes.get('q4_k_m')).toEqual({ host: 'llama.cpp' });
    expect(runtimes.get('fp32')).toEqual({ host: 'onnxruntime-node', chromium: 'onnxruntime-web' });
  });
});

describe('cellRuntimeOptions', () => {
  it("names the cell's runtime in the job, keeping the suite's session options", () => {
    const options = { name: 'onnxruntime-node' as const, intraOpThreads: 2, graphOptimizationLevel: 'all' as const, executionMode: 'sequential' as const };
    expect(cellRuntimeOptions(options, { chromium: 'onnxruntime-web' }, 'chromium')).toEqual({ ...options, name: 'onnxruntime-web' });
    expect(cellRuntimeOptions(options, {}, 'host')).toEqual(options);
  });
});
