import { mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inspectModel, ModelFileError } from '../../harness/onnx/model-file.ts';
import { sha256File } from '../../harness/files/hash.ts';
import { buildPlan } from '../../harness/plan/plan.ts';
import { variantChanged } from '../../harness/plan/verify-variant.ts';
import { executePlan } from '../../harness/execute/execute-plan.ts';
import { writeHiddenExternalData } from '../helpers/models.ts';
import { DEVICES_YAML, suiteYaml, tempProject, type TempProject } from '../helpers/project.ts';

let project: TempProject;
beforeEach(async () => {
  project = await tempProject();
  await project.write('devices.yaml', DEVICES_YAML);
  await project.write('suites/data/examples.jsonl', '{"id": "a", "inputs": {"x": [[1, 2, 3, 4]]}}\n{"id": "b", "inputs": {"x": [[4, 3, 2, 1]]}}\n');
});
afterEach(() => project.cleanup());

const BIAS = Float32Array.from([0.5, -1, 2, 0]);

async function planOf(modelPath: string, place: 'constant' | 'subgraph' = 'constant') {
  if (place === 'subgraph') await project.write('suites/data/examples.jsonl', '{"id": "a", "inputs": {"x": [[1, 2, 3, 4]], "cond": true}}\n');
  await project.write('suites/small.yaml', suiteYaml({ variants: `  - {name: hidden, precision: fp32, file: ../${modelPath}}`, warmup: 0, iterations: 2 }));
  return buildPlan({ suiteFile: project.path('suites/small.yaml'), devicesFile: project.path('devices.yaml') });
}

async function modelError(file: string): Promise<ModelFileError> {
  const error = await inspectModel(file).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ModelFileError)) throw new Error(`expected a ModelFileError, got ${String(error)}`);
  return error;
}

describe('external data outside the graph initializers belongs to the variant', () => {
  for (const place of ['constant', 'subgraph'] as const) {
    it(`hashes and counts the data file of a ${place === 'constant' ? "Constant node's value" : 'subgraph (If branch) initializer'}`, async () => {
      await writeHiddenExternalData(project.path('models/m/model.onnx'), place, { n: 4, location: 'bias.bin', bias: BIAS });
      const [planned] = (await planOf('models/m/model.onnx', place)).variants;
      const bias = project.path('models/m/bias.bin');
      expect(planned!.variant.files).toEqual([
        { path: 'bias.bin', bytes: 16, sha256: await sha256File(bias) },
        { path: 'model.onnx', bytes: (await stat(project.path('models/m/model.onnx'))).size, sha256: expect.any(String) },
      ]);
      expect(planned!.variant.diskBytes).toBe(16 + (await stat(project.path('models/m/model.onnx'))).size);
    });
  }

  it("re-checks a Constant node's external data before each runner process: changed weights are not run", async () => {
    await writeHiddenExternalData(project.path('models/m/model.onnx'), 'constant', { n: 4, location: 'bias.bin', bias: BIAS });
    const plan = await planOf('models/m/model.onnx');
    expect(await variantChanged(plan.variants[0]!)).toBeUndefined();
    await writeFile(project.path('models/m/bias.bin'), Float32Array.from([9, 9, 9, 9]));
    const { results } = await executePlan(plan, { outDir: project.path('reports'), runId: 'tampered' });
    expect(results.cells[0]).toMatchObject({
      status: 'failed',
      error: { code: 'MODEL_CHANGED', message: expect.stringMatching(/bias\.bin changed since the run was planned/) },
    });
  });

  it('finds a missing data file read only by a Constant node, before anything runs', async () => {
    await writeHiddenExternalData(project.path('models/m/model.onnx'), 'constant', { n: 4, location: 'bias.bin' });
    const error = await modelError(project.path('models/m/model.onnx'));
    expect(error.code).toBe('EXTERNAL_DATA_MISSING');
    expect(error.message).toMatch(/not found .*read by graph node "Constant_B" attribute "value"/);
  });
});

describe('external data that leaves the model folder is refused', () => {
  it('refuses a data file that is a link to a file outside the folder, naming the model, the tensor, the location and the fix', async () => {
    await writeHiddenExternalData(project.path('models/m/model.onnx'), 'constant', { n: 4, location: 'bias.bin' });
    await project.write('elsewhere/secret.bin', 'sixteen bytes!!!');
    await symlink(project.path('elsewhere/secret.bin'), project.path('models/m/bias.bin'));
    const error = await modelError(project.path('models/m/model.onnx'));
    expect(error.code).toBe('EXTERNAL_DATA_OUTSIDE');
    expect(error.file).toBe(project.path('models/m/model.onnx'));
    expect(error.message).toMatch(
      /graph node "Constant_B" attribute "value" reads "bias\.bin", which leads through a link to .*elsewhere\/secret\.bin, outside the model folder/,
    );
    expect(error.fix).toMatch(/keep the external data files in the model's folder/);

    const [planned] = (await planOf('models/m/model.onnx')).variants;
    expect(planned!.problem).toMatchObject({
      code: 'EXTERNAL_DATA_OUTSIDE',
      message: expect.stringMatching(/variants\[0\]\.file: .*model\.onnx: .*outside the model folder \(fix: keep the external data files/),
    });
    expect(planned!.variant.files).toEqual([]);
  });

  it('refuses a folder link on the way out of the model folder, and a subgraph initializer with a ../ location', async () => {
    await writeHiddenExternalData(project.path('models/m/model.onnx'), 'subgraph', { n: 4, location: 'shared/bias.bin' });
    await project.write('elsewhere/bias.bin', 'sixteen bytes!!!');
    await symlink(project.path('elsewhere'), project.path('models/m/shared'));
    expect((await modelError(project.path('models/m/model.onnx'))).message).toMatch(
      /attribute "then_branch" subgraph initializer "B" reads "shared\/bias\.bin", which leads through a link/,
    );

    await writeHiddenExternalData(project.path('models/n/model.onnx'), 'subgraph', { n: 4, location: '../elsewhere/bias.bin' });
    const error = await modelError(project.path('models/n/model.onnx'));
    expect(error.code).toBe('EXTERNAL_DATA_OUTSIDE');
    expect(error.message).toMatch(/subgraph initializer "B" points outside the model folder \(location "\.\.\/elsewhere\/bias\.bin"\)/);
  });

  it('accepts a link to another file inside the model folder, and hashes the file it leads to', async () => {
    await writeHiddenExternalData(project.path('models/m/model.onnx'), 'constant', { n: 4, location: 'bias.bin' });
    await mkdir(project.path('models/m/blobs'));
    await writeFile(project.path('models/m/blobs/1234'), BIAS);
    await symlink('blobs/1234', project.path('models/m/bias.bin'));
    const [planned] = (await planOf('models/m/model.onnx')).variants;
    expect(planned!.problem).toBeUndefined();
    expect(planned!.variant.files.find((f) => f.path === 'bias.bin')).toEqual({
      path: 'bias.bin',
      bytes: 16,
      sha256: await sha256File(project.path('models/m/blobs/1234')),
    });
    expect(Buffer.compare(await readFile(project.path('models/m/bias.bin')), Buffer.from(BIAS.buffer))).toBe(0);
  });
});

describe('a model path that is not a file', () => {
  it("records a folder as the variant's problem, with no size, and a link loop as a loop", async () => {
    await mkdir(project.path('models/folder.onnx'), { recursive: true });
    const [folder] = (await planOf('models/folder.onnx')).variants;
    expect(folder!.problem).toMatchObject({
      code: 'MODEL_NOT_A_FILE',
      message: expect.stringMatching(/folder\.onnx: the model path is a directory, not a regular file \(fix: name the \.onnx file inside the folder/),
    });
    expect(folder!.variant.diskBytes).toBe(0);

    await symlink('loop.onnx', project.path('models/loop.onnx'));
    const [loop] = (await planOf('models/loop.onnx')).variants;
    expect(loop!.problem?.message).toMatch(
      /loop\.onnx: the model path is a symbolic link that leads back to itself \(a link loop\) \(fix: point the link at the real \.onnx file/,
    );
  });
});
