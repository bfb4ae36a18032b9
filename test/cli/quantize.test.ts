import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VariantManifest } from '../../harness/quantize/manifest.ts';
import { Results } from '../../harness/core/results.ts';
import { smallProject, suiteYaml, type TempProject } from '../helpers/project.ts';

const BIN = fileURLToPath(new URL('../../bin/edgebench.js', import.meta.url));

let project: TempProject;
beforeAll(async () => {
  project = await smallProject();
});
afterAll(() => project.cleanup());

const edgebench = (args: string[]) => execa(process.execPath, [BIN, ...args], { cwd: project.dir, reject: false });

describe('edgebench quantize (the real CLI)', () => {
  it('writes int8 and int4 variants with manifests that a suite can run', async () => {
    const int8 = await edgebench(['quantize', 'models/small/model.onnx', '--to', 'int8']);
    expect(int8.exitCode).toBe(0);
    expect(int8.stdout).toMatch(/models\/small\/model_quantized\.onnx: int8, [\d.]+ MiB \([\d.]+% of the source's [\d.]+ MiB\)/);
    expect(int8.stdout).toMatch(/layers: 0 int4, 2 int8, 0 kept in float/);
    const int4 = await edgebench(['quantize', 'models/small/model.onnx', '--to', 'int4', '--block-size', '64', '--asymmetric', '--keep-int8', '*classifier*']);
    expect(int4.exitCode).toBe(0);
    const manifest = VariantManifest.parse(JSON.parse(await readFile(project.path('models/small/model_q4.manifest.json'), 'utf8')));
    expect(manifest.quantization).toMatchObject({ to: 'int4', blockSize: 64, symmetric: false, keepInt8: ['*classifier*'] });

    await project.write(
      'suites/quantized.yaml',
      suiteYaml({
        variants:
          '  - {name: fp32, precision: fp32, file: ../models/small/model.onnx}\n  - {name: int8, manifest: ../models/small/model_quantized.manifest.json}\n  - {name: int4, manifest: ../models/small/model_q4.manifest.json}',
      }),
    );
    const run = await edgebench(['run', '--suite', 'suites/quantized.yaml', '--run-id', 'quantized']);
    expect(run.exitCode).toBe(0);
    const results = Results.parse(JSON.parse(await readFile(project.path('reports/quantized/results.json'), 'utf8')));
    expect(results.cells.map((c) => [c.variant.name, c.variant.precision, c.status])).toEqual([
      ['fp32', 'fp32', 'ok'],
      ['int8', 'int8', 'ok'],
      ['int4', 'mixed', 'ok'],
    ]);
    expect(results.cells[2]!.variant.provenance?.quantization).toMatchObject({ to: 'int4', blockSize: 64 });
  });

  it('static int8 calibrates on a suite dataset', async () => {
    const result = await edgebench([
      'quantize',
      'models/small/model.onnx',
      '--to',
      'int8',
      '--method',
      'static',
      '--calibrate',
      'suites/small.yaml',
      '--calibration',
      'percentile',
      '-o',
      'models/small/static.onnx',
    ]);
    expect(result.exitCode).toBe(0);
    const manifest = VariantManifest.parse(JSON.parse(await readFile(project.path('models/small/static.manifest.json'), 'utf8')));
    expect(manifest.quantization).toMatchObject({
      method: 'static',
      calibration: { method: 'percentile', percentile: 99.99, examples: 10, dataset: 'suites/data/examples.jsonl' },
    });
  });

  it('--algorithm awq calibrates on a suite dataset and records each layer alpha; without --calibrate it says what is missing', async () => {
    const missing = await edgebench(['quantize', 'models/small/model.onnx', '--to', 'int4', '--algorithm', 'awq', '-o', 'models/small/awq.onnx']);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/--algorithm awq needs calibration activations/);
    expect(missing.stderr).toMatch(/add --calibrate <suite\.yaml>/);
    const result = await edgebench([
      'quantize',
      'models/small/model.onnx',
      '--to',
      'int4',
      '--algorithm',
      'awq',
      '--calibrate',
      'suites/small.yaml',
      '-o',
      'models/small/awq.onnx',
    ]);
    expect(result.exitCode).toBe(0);
    const manifest = VariantManifest.parse(JSON.parse(await readFile(project.path('models/small/awq.manifest.json'), 'utf8')));
    expect(manifest.quantization).toMatchObject({ to: 'int4', algorithm: 'awq', calibration: { examples: 10, source: 'suites/data/examples.jsonl' } });
    const alphas = manifest.quantization.to === 'int4' ? manifest.quantization.awqAlphas : undefined;
    expect(Object.keys(alphas ?? {}).sort()).toEqual([...manifest.layers.int4].sort());
  });

  it('--algorithm gptaq calibrates on a suite dataset and keeps the layers and bytes of rtn, with codes of its own', async () => {
    const missing = await edgebench(['quantize', 'models/small/model.onnx', '--to', 'int4', '--algorithm', 'gptaq', '-o', 'models/small/gptaq.onnx']);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/--algorithm gptaq needs calibration activations/);
    const args = (algorithm: string, out: string) => ['quantize', 'models/small/model.onnx', '--to', 'int4', '--algorithm', algorithm, '-o', out];
    const gptaq = await edgebench([...args('gptaq', 'models/small/gptaq.onnx'), '--calibrate', 'suites/small.yaml']);
    expect(gptaq.exitCode).toBe(0);
    expect((await edgebench(args('rtn', 'models/small/rtn.onnx'))).exitCode).toBe(0);
    const read = async (name: string) => VariantManifest.parse(JSON.parse(await readFile(project.path(`models/small/${name}.manifest.json`), 'utf8')));
    const [calibrated, rounded] = [await read('gptaq'), await read('rtn')];
    expect(calibrated.quantization).toMatchObject({ to: 'int4', algorithm: 'gptaq', calibration: { examples: 10, source: 'suites/data/examples.jsonl' } });
    expect(calibrated.layers.int4).toEqual(rounded.layers.int4);
    expect(calibrated.diskBytes).toBe(rounded.diskBytes);
    expect(calibrated.sha256).not.toBe(rounded.sha256);
  });

  it('exits 2 with the reason and the fix for bad input', async () => {
    const missing = await edgebench(['quantize', 'models/none.onnx', '--to', 'int8']);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/models\/none\.onnx: model file not found\n\s+fix: pass a readable, complete fp32 \.onnx file/);
    const overwrite = await edgebench(['quantize', 'models/small/model.onnx', '--to', 'int4', '-o', 'models/small/model.onnx']);
    expect(overwrite.exitCode).toBe(2);
    expect(overwrite.stderr).toMatch(/would overwrite the input/);
    const noTarget = await edgebench(['quantize', 'models/small/model.onnx']);
    expect(noTarget.exitCode).toBe(2);
    expect(noTarget.stderr).toMatch(/required option '--to <precision>' not specified/);
    const noCalibration = await edgebench(['quantize', 'models/small/model.onnx', '--to', 'int8', '--method', 'static']);
    expect(noCalibration.exitCode).toBe(2);
    expect(noCalibration.stderr).toMatch(/--calibrate: static int8 needs a calibration set/);
    const noTables = await edgebench(['quantize', 'models/small/model.onnx', '--to', 'int8', '--embedding-block-size', '16']);
    expect(noTables.exitCode).toBe(2);
    expect(noTables.stderr).toMatch(
      /--embedding-block-size: sets the blocks of int4 embedding tables, and this variant has none \(--to int8 --embeddings same\)\n\s+fix: drop/,
    );
  });
});
