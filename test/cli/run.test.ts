import { readFile, readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { model, node, tensorValue, writeModel } from '../../harness/onnx/build.ts';
import { onnx } from '../../harness/onnx/proto.ts';
import { Results } from '../../harness/results/schema.ts';
import { smallProject, suiteYaml, type TempProject } from '../helpers/project.ts';

const BIN = fileURLToPath(new URL('../../bin/edgebench.js', import.meta.url));

let project: TempProject;
beforeAll(async () => {
  project = await smallProject();
});
afterAll(() => project.cleanup());

const edgebench = (args: string[]) => execa(process.execPath, [BIN, ...args], { cwd: project.dir, reject: false, env: { NO_COLOR: '1' } });

describe('edgebench run (the real CLI)', () => {
  it('benchmarks every variant, prints the table and writes schema-valid results', async () => {
    const result = await edgebench(['run', '--suite', 'suites/small.yaml', '--run-id', 'first']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/device\s+variant\s+status\s+n\s+p50 ms\s+p90 ms\s+p99 ms\s+load ms\s+peak RSS MiB\s+model RSS MiB\s+disk MiB/);
    expect(result.stdout).toMatch(/host\s+fp32\s+ok\s+25\s+\d+\.\d{3}/);
    expect(result.stdout).toContain('results: reports/first/results.json');
    const results = Results.parse(JSON.parse(await readFile(project.path('reports/first/results.json'), 'utf8')));
    expect(results.status).toBe('complete');
    expect(results.cells).toHaveLength(1);
    expect(results.cells[0]!.samples).toHaveLength(25);
    expect(results.devices[0]!.facts).toMatchObject({ source: 'systeminformation on the host' });
    expect(results.devices[0]!.facts!.logicalCores).toBeGreaterThan(0);
    expect(results.suite.dataset.examples).toBe(10);
    // Atomic writes leave no temporary files behind.
    expect(await readdir(project.path('reports/first'))).toEqual(['results.json']);
  });

  it('exits 2 with the file, field and fix for a bad config, and runs nothing', async () => {
    await project.write('bad-devices.yaml', 'devices:\n  - id: host\n    kind: lokal\n');
    const result = await edgebench(['run', '--suite', 'suites/small.yaml', '--devices', 'bad-devices.yaml', '--run-id', 'bad']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('configuration error, nothing was run');
    expect(result.stderr).toContain('bad-devices.yaml:3: devices[0].kind: unknown device kind "lokal"');
    expect(result.stderr).toContain('fix: use one of: local');
    await expect(readdir(project.path('reports/bad'))).rejects.toThrow();
  });

  it('exits 1 and keeps the other cells when one variant fails', async () => {
    // Valid ONNX that onnxruntime cannot load: an operator no runtime implements.
    await writeModel(
      project.path('models/unloadable/model.onnx'),
      model(
        {
          node: [node('NoSuchOperator', ['input_ids'], ['logits'])],
          input: [tensorValue('input_ids', onnx.TensorProto.DataType.INT64, ['batch', 'sequence'])],
          output: [tensorValue('logits', onnx.TensorProto.DataType.FLOAT, ['batch', 4])],
        },
        [{ version: 17 }],
      ),
    );
    await project.write(
      'suites/mixed.yaml',
      suiteYaml({ variants: '  - {name: broken, precision: fp32, file: ../models/unloadable/model.onnx}\n  - {name: good, precision: fp32, file: ../models/small/model.onnx}' }),
    );
    const result = await edgebench(['run', '--suite', 'suites/mixed.yaml', '--run-id', 'mixed']);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/host\s+broken\s+FAILED MODEL_LOAD_FAILED/);
    expect(result.stdout).toMatch(/failures:\n\s+host \/ broken: MODEL_LOAD_FAILED: .*NoSuchOperator/);
    const results = Results.parse(JSON.parse(await readFile(project.path('reports/mixed/results.json'), 'utf8')));
    expect(results.cells.map((c) => [c.variant.name, c.status])).toEqual([
      ['broken', 'failed'],
      ['good', 'ok'],
    ]);
  });

  it('answers a usage error with exit 2 and documents the exit codes in --help', async () => {
    const unknown = await edgebench(['run', '--no-such-flag']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/unknown option '--no-such-flag'/);
    const help = await edgebench(['run', '--help']);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toMatch(/Exit codes:\n\s+0\s+every cell was measured\n\s+1\s+one or more cells failed/);
  });

  it('validate checks everything without running', async () => {
    const result = await edgebench(['validate', '--suite', 'suites/small.yaml']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/fp32\s+fp32\s+\d+ bytes\s+sha256 [0-9a-f]{64}/);
  });

  it('on Ctrl-C stops the running cell, keeps what was measured and exits 130', async () => {
    await project.write(
      'suites/long.yaml',
      suiteYaml({ iterations: 1_000_000, variants: '  - {name: a, precision: fp32, file: ../models/small/model.onnx}\n  - {name: b, precision: fp32, file: ../models/small/model.onnx}' }),
    );
    const child = execa(process.execPath, [BIN, 'run', '--suite', 'suites/long.yaml', '--run-id', 'interrupted'], { cwd: project.dir, reject: false });
    child.stderr.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('[1/2]')) setTimeout(() => child.kill('SIGINT'), 1500);
    });
    const result = await child;
    expect(result.exitCode).toBe(130);
    expect(result.stderr).toMatch(/SIGINT: stopping the running cell/);
    const results = Results.parse(JSON.parse(await readFile(project.path('reports/interrupted/results.json'), 'utf8')));
    expect(results.status).toBe('interrupted');
    expect(results.cells).toHaveLength(1);
    expect(results.cells[0]!.error?.code).toBe('INTERRUPTED');
    expect(results.cells[0]!.samples.length).toBeGreaterThan(100);
  });
});
