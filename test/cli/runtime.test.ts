import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Results } from '../../harness/core/results.ts';
import { smallProject, suiteYaml, type TempProject } from '../helpers/project.ts';

const BIN = fileURLToPath(new URL('../../bin/edgebench.js', import.meta.url));

let project: TempProject;
beforeAll(async () => {
  project = await smallProject();
  await project.write('devices-mixed.yaml', 'devices:\n  - id: host\n    kind: local\n  - id: chromium\n    kind: browser\n');
});
afterAll(() => project.cleanup());

const edgebench = (args: string[]) => execa(process.execPath, [BIN, ...args], { cwd: project.dir, reject: false, env: { NO_COLOR: '1' } });
const withRuntime = (lines: string) => suiteYaml().replace('runtime:\n', `runtime:\n${lines}`);
const fileVariant = (name: string, extra = '') => `  - name: ${name}\n    precision: fp32\n    file: ../models/small/model.onnx${extra}`;

describe('the runtime key of a suite (edgebench validate)', () => {
  it('refuses a suite runtime a device cannot host, naming the field, the device and the fix', async () => {
    await project.write('suites/web-on-host.yaml', withRuntime('  name: onnxruntime-web\n'));
    const result = await edgebench(['validate', '--suite', 'suites/web-on-host.yaml']);
    expect(result.exitCode, result.stdout + result.stderr).toBe(2);
    expect(result.stderr).toContain(
      'suites/web-on-host.yaml: runtime.name: runtime "onnxruntime-web" (onnxruntime compiled to WebAssembly, in a web page) cannot run on device "host" (local): it runs only on browser, appium devices',
    );
    expect(result.stderr).toContain(
      'fix: name a runtime a local device hosts (onnxruntime-node, llama.cpp), leave runtime.name out for its default, or run it on a browser or appium device',
    );
  });

  it("refuses a variant's runtime on the one device that cannot host it, once, and accepts the rest", async () => {
    const variants = [fileVariant('native', '\n    runtime: onnxruntime-node'), fileVariant('plain')].join('\n');
    await project.write('suites/variant-runtime.yaml', suiteYaml({ variants }));
    const result = await edgebench(['validate', '--suite', 'suites/variant-runtime.yaml', '--devices', 'devices-mixed.yaml']);
    expect(result.exitCode, result.stdout + result.stderr).toBe(2);
    expect(result.stderr).toContain(
      'variants[0].runtime: runtime "onnxruntime-node" (the native onnxruntime in a Node.js runner) cannot run on device "chromium" (browser)',
    );
    expect(result.stderr.match(/cannot run on device/g)).toHaveLength(1);
  });

  it('refuses a runtime edgebench does not know, listing the ones it does', async () => {
    await project.write('suites/unknown.yaml', withRuntime('  name: tflite\n'));
    const result = await edgebench(['validate', '--suite', 'suites/unknown.yaml']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/runtime\.name: .*"onnxruntime-node"\|"onnxruntime-web"|runtime\.name: .*onnxruntime-node, onnxruntime-web/);
  });

  it('accepts a runtime every device hosts', async () => {
    await project.write('suites/node.yaml', withRuntime('  name: onnxruntime-node\n'));
    const result = await edgebench(['validate', '--suite', 'suites/node.yaml']);
    expect(result.exitCode, result.stderr).toBe(0);
  });
});

describe("results record each cell's runtime", () => {
  it("by name and version, beside the suite's runtime settings", async () => {
    await project.write('suites/recorded.yaml', suiteYaml({ iterations: 3, warmup: 0 }));
    const result = await edgebench(['run', '--suite', 'suites/recorded.yaml', '--run-id', 'runtime']);
    expect(result.exitCode, result.stderr).toBe(0);
    const results = Results.parse(JSON.parse(await readFile(project.path('reports/runtime/results.json'), 'utf8')));
    expect(results.cells[0]!.runtime).toMatchObject({ name: 'onnxruntime-node', version: '1.30.0', onnxruntime: '1.30.0', node: process.version });
  });

  it("a variant's own runtime reaches its runner: a browser runs onnxruntime-web where the suite names onnxruntime-node", async () => {
    await project.write('devices-browser.yaml', 'devices:\n  - id: chromium\n    kind: browser\n');
    const variants = fileVariant('web', '\n    runtime: onnxruntime-web');
    await project.write(
      'suites/override.yaml',
      suiteYaml({ iterations: 3, warmup: 0, variants }).replace('runtime:\n', 'runtime:\n  name: onnxruntime-node\n'),
    );
    const result = await edgebench(['run', '--suite', 'suites/override.yaml', '--devices', 'devices-browser.yaml', '--run-id', 'override']);
    expect(result.exitCode, result.stderr).toBe(0);
    const results = Results.parse(JSON.parse(await readFile(project.path('reports/override/results.json'), 'utf8')));
    expect(results.cells[0]).toMatchObject({ status: 'ok', runtime: { name: 'onnxruntime-web', version: '1.30.0', platform: 'browser' } });
    expect(results.suite.runtime.name).toBe('onnxruntime-node');
  });

  it('and results written before runtimes were named still read', () => {
    const cellRuntime = Results.shape.cells.element.shape.runtime;
    expect(cellRuntime.parse({ node: 'v20.0.0', onnxruntime: '1.22.0', platform: 'linux', arch: 'x64' })).toEqual({
      node: 'v20.0.0',
      onnxruntime: '1.22.0',
      platform: 'linux',
      arch: 'x64',
    });
  });
});
