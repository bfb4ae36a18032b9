import { readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { stat } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigErrors } from '../../harness/config/errors.ts';
import { sha256File } from '../../harness/files/hash.ts';
import { buildPlan } from '../../harness/plan/plan.ts';
import { quantizeModel } from '../../harness/quantize/quantize.ts';
import { isSecretEnv } from '../../harness/secrets/secret-env.ts';
import { datasetLines, smallProject, suiteYaml, writeSmallModel, type TempProject } from '../helpers/project.ts';

let project: TempProject;
beforeEach(async () => {
  project = await smallProject();
});
afterEach(() => project.cleanup());

const plan = () => buildPlan({ suiteFile: project.path('suites/small.yaml'), devicesFile: project.path('devices.yaml') });

async function planErrors(): Promise<string[]> {
  try {
    await plan();
  } catch (error) {
    if (error instanceof ConfigErrors) return error.errors.map((e) => e.message);
    throw error;
  }
  throw new Error('expected the plan to fail');
}

/** The problem the plan records on its broken variant: that variant's cells fail with it, the others run. */
async function problemOf(): Promise<string> {
  const problem = (await plan()).variants.find((v) => v.problem)?.problem;
  if (!problem) throw new Error('expected a variant with a problem');
  return `${problem.code}: ${problem.message}`;
}

describe('buildPlan', () => {
  it('resolves variants with sizes and hashes, and feeds typed from the model inputs', async () => {
    const { variants, devices, dataset } = await plan();
    expect(devices.map((d) => d.id)).toEqual(['host']);
    expect(dataset.examples).toHaveLength(10);
    const [variant] = variants;
    const modelFile = project.path('models/small/model.onnx');
    expect(variant!.variant.files).toEqual([{ path: 'model.onnx', bytes: (await stat(modelFile)).size, sha256: await sha256File(modelFile) }]);
    expect(variant!.variant.diskBytes).toBe((await stat(modelFile)).size);
    expect(variant!.examples[0]!.feeds.input_ids).toEqual({ type: 'int64', dims: [1, 3], data: [1, 2, 3] });
  });

  it('counts external data files in the variant size and hash', async () => {
    await writeSmallModel(project, 'models/ext/model.onnx', { externalData: true });
    await project.write('suites/small.yaml', suiteYaml({ variants: '  - {name: ext, precision: fp32, file: ../models/ext/model.onnx}' }));
    const [variant] = (await plan()).variants;
    const dataBytes = (await stat(project.path('models/ext/model.onnx.data'))).size;
    expect(variant!.variant.files.map((f) => f.path)).toEqual(['model.onnx', 'model.onnx.data']);
    expect(variant!.variant.diskBytes).toBe((await stat(project.path('models/ext/model.onnx'))).size + dataBytes);
    expect(dataBytes).toBeGreaterThan(variant!.variant.files[0]!.bytes);
  });

  it('records a missing model file on its variant, with the suite field and a fix', async () => {
    await rm(project.path('models/small/model.onnx'));
    expect(await problemOf()).toMatch(/^MODEL_NOT_FOUND: .*small\.yaml: variants\[0\]\.file: .*model\.onnx: model file not found \(fix: check the path/);
  });

  it('detects a truncated model', async () => {
    const file = project.path('models/small/model.onnx');
    await truncate(file, Math.floor((await stat(file)).size / 2));
    expect(await problemOf()).toMatch(/^MODEL_CORRUPT: .*variants\[0\]\.file: .*not a valid ONNX model \(truncated or corrupt\)/);
  });

  it('detects a file that is not ONNX at all', async () => {
    await writeFile(project.path('models/small/model.onnx'), 'version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 123\n');
    expect(await problemOf()).toMatch(/not a valid ONNX model/);
  });

  it('detects missing and truncated external data', async () => {
    await writeSmallModel(project, 'models/ext/model.onnx', { externalData: true });
    await project.write('suites/small.yaml', suiteYaml({ variants: '  - {name: ext, precision: fp32, file: ../models/ext/model.onnx}' }));
    const data = project.path('models/ext/model.onnx.data');
    await truncate(data, 100);
    expect(await problemOf()).toMatch(/external data file is truncated: 100 bytes/);
    await rm(data);
    expect(await problemOf()).toMatch(/external data file of .* not found/);
  });

  it('refuses a variant whose files do not match the pinned sha256', async () => {
    const pinned = 'a'.repeat(64);
    await project.write('suites/small.yaml', suiteYaml({ variants: `  - {name: fp32, precision: fp32, file: ../models/small/model.onnx, sha256: ${pinned}}` }));
    const message = await problemOf();
    expect(message).toContain(
      `HASH_MISMATCH: ${project.path('suites/small.yaml')}: variants[0].sha256: variant "fp32" does not match its pinned hash: expected ${pinned}`,
    );
    expect(message).toMatch(/fix: .*set sha256 to [0-9a-f]{64}/);
  });

  it('accepts the right pinned sha256', async () => {
    const { variants } = await plan();
    await project.write(
      'suites/small.yaml',
      suiteYaml({ variants: `  - {name: fp32, precision: fp32, file: ../models/small/model.onnx, sha256: ${variants[0]!.variant.sha256}}` }),
    );
    await expect(plan()).resolves.toBeDefined();
  });

  it('names the dataset line of a bad example', async () => {
    const lines = datasetLines(5).split('\n');
    lines[2] = '{"id": "broken", "inputs": {"input_ids": [[1, 2, 3]]';
    lines[3] = '{"id": "no-inputs"}';
    await writeFile(project.path('suites/data/examples.jsonl'), lines.join('\n'));
    const messages = await planErrors();
    expect(messages[0]).toMatch(/examples\.jsonl:3: not valid JSON/);
    expect(messages[1]).toMatch(/examples\.jsonl:4: inputs: /);
  });

  it('checks every example against the model inputs: names, rank, integer values, ragged rows', async () => {
    const cases: [string, RegExp][] = [
      ['{"inputs": {"tokens": [[1, 2]]}}', /inputs\.tokens: variant "fp32" has no input named "tokens"\n\s+fix: the model's inputs are: input_ids/],
      ['{"inputs": {"input_ids": [1, 2]}}', /wrong rank: the line has shape \[2\], variant "fp32" declares \[batch, sequence\]/],
      ['{"inputs": {"input_ids": [[1.5, 2]]}}', /is int64 but the line has non-integer values/],
      ['{"inputs": {"input_ids": [[1, 2], [3]]}}', /ragged/],
    ];
    for (const [line, expected] of cases) {
      await writeFile(project.path('suites/data/examples.jsonl'), `${line}\n`);
      expect((await planErrors())[0]).toMatch(expected);
    }
  });

  it('reports problems in the suite and the inventory together', async () => {
    await project.write('devices.yaml', 'devices:\n  - id: host\n    kind: cloud\n');
    await project.write('suites/small.yaml', suiteYaml({ iterations: -5 }));
    const messages = await planErrors();
    expect(messages.some((m) => m.includes('unknown device kind "cloud"'))).toBe(true);
    expect(messages.some((m) => m.includes('iterations'))).toBe(true);
  });

  it("declares the secret environment variables of the chosen devices' drivers before any runner starts", async () => {
    const [user, key, other] = ['EDGEBENCH_TEST_PLAN_FARM_USER', 'EDGEBENCH_TEST_PLAN_FARM_KEY', 'EDGEBENCH_TEST_PLAN_UNCHOSEN_URL'];
    await project.write(
      'devices.yaml',
      `devices:\n  - id: host\n    kind: local\n  - id: farm\n    kind: appium\n    server: { url: "https://hub.example.com/wd/hub", usernameEnv: ${user}, accessKeyEnv: ${key} }\n  - id: unchosen\n    kind: appium\n    server: { urlEnv: ${other} }\n`,
    );
    expect([user, key].some(isSecretEnv)).toBe(false);
    await buildPlan({ suiteFile: project.path('suites/small.yaml'), devicesFile: project.path('devices.yaml'), deviceIds: ['host', 'farm'] });
    expect([user, key].every(isSecretEnv)).toBe(true);
    // Only the devices this run uses: another device's variables are not its business.
    expect(isSecretEnv(other)).toBe(false);
  });

  it('rejects an unknown device id in the suite or on the command line', async () => {
    const text = await readFile(project.path('suites/small.yaml'), 'utf8');
    await project.write('suites/small.yaml', `${text}devices: [host, pixel-7]\n`);
    expect((await planErrors())[0]).toMatch(/devices: no device with id "pixel-7" .*\n\s+fix: use one of: host/);
  });

  it('takes a variant from its quantization manifest, with provenance, and refuses it once its files change', async () => {
    const { manifestFile } = await quantizeModel({ input: project.path('models/small/model.onnx'), to: 'int4' });
    expect(manifestFile).toBe(project.path('models/small/model_q4.manifest.json'));
    await project.write(
      'suites/small.yaml',
      suiteYaml({
        variants: '  - {name: fp32, precision: fp32, file: ../models/small/model.onnx}\n  - {name: int4, manifest: ../models/small/model_q4.manifest.json}',
      }),
    );
    const { variants } = await plan();
    expect(variants[1]!.variant).toMatchObject({
      name: 'int4',
      precision: 'int4',
      provenance: { sourceModel: 'model.onnx', sourceSha256: variants[0]!.variant.sha256, quantization: { to: 'int4', blockSize: 32 } },
    });
    const model = project.path('models/small/model_q4.onnx');
    const bytes = await readFile(model);
    bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0xff;
    await writeFile(model, bytes);
    expect((await planErrors())[0]).toMatch(/variants\[1\]\.manifest: the files of variant "int4" do not match its manifest \(changed: model_q4\.onnx\)/);
  });

  it('requires exactly one of file and manifest, and a precision with file', async () => {
    await project.write('suites/small.yaml', suiteYaml({ variants: '  - {name: a, file: ../models/small/model.onnx}\n  - {name: b, precision: fp32}' }));
    const messages = await planErrors();
    expect(messages[0]).toMatch(/variants\[0\]\.precision: a variant given by file needs its precision/);
    expect(messages[1]).toMatch(/variants\[1\]\.file: a variant needs exactly one of "file" .* or "manifest"/);
  });

  it('accepts explicit {dims, data} tensors, including empty dimensions, and checks their size', async () => {
    await writeFile(project.path('suites/data/examples.jsonl'), '{"inputs": {"input_ids": {"dims": [1, 2], "data": [4, 5]}}}\n');
    expect((await plan()).variants[0]!.examples[0]!.feeds.input_ids).toEqual({ type: 'int64', dims: [1, 2], data: [4, 5] });
    await writeFile(project.path('suites/data/examples.jsonl'), '{"inputs": {"input_ids": {"dims": [1, 3], "data": [4, 5]}}}\n');
    expect((await planErrors())[0]).toMatch(/dims \[1, 3\] hold 3 values but data has 2/);
  });
});
