import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeHiddenExternalData } from '../helpers/models.ts';
import { datasetLines, smallProject, suiteYaml, type TempProject } from '../helpers/project.ts';

const BIN = fileURLToPath(new URL('../../bin/edgebench.js', import.meta.url));
const BOM = '\uFEFF';

let project: TempProject;
beforeAll(async () => {
  project = await smallProject();
  await project.write('suites/data/bias.jsonl', '{"id": "a", "inputs": {"x": [[1, 2, 3, 4]]}}\n');
});
afterAll(() => project.cleanup());

const edgebench = (args: string[]) => execa(process.execPath, [BIN, ...args], { cwd: project.dir, reject: false, env: { NO_COLOR: '1' } });
const validate = (suite: string) => edgebench(['validate', '--suite', suite]);

/** A suite over the small classifier (int64 input_ids into a 50-row embedding, 4 logits) with the given dataset lines and extra settings. */
async function classifierSuite(name: string, options: { lines?: string; extra?: string } = {}): Promise<string> {
  if (options.lines !== undefined) await project.write(`suites/data/${name}.jsonl`, options.lines);
  await project.write(`suites/${name}.yaml`, suiteYaml({ dataset: options.lines !== undefined ? `data/${name}.jsonl` : undefined, extra: options.extra }));
  return `suites/${name}.yaml`;
}

describe('hostile model data: external data in every place, links out of the model folder, labels, token ids, byte-order marks', () => {
  it('signs the external data of a Constant node: tampered weights fail verify and are refused by a suite that requires signatures', async () => {
    await writeHiddenExternalData(project.path('models/constant/model.onnx'), 'constant', {
      n: 4,
      location: 'bias.bin',
      bias: Float32Array.from([1, 2, 3, 4]),
    });
    expect((await edgebench(['keygen', 'release'])).exitCode).toBe(0);
    const signed = await edgebench(['sign', 'models/constant/model.onnx', '--key', 'release.key.pem']);
    expect(signed.stdout).toMatch(/model\.onnx\.sig\.json: 2 file\(s\)/);
    expect((await edgebench(['verify', 'models/constant/model.onnx', '--public-key', 'release.pub.pem'])).exitCode).toBe(0);

    await writeFile(project.path('models/constant/bias.bin'), Float32Array.from([1, 2, 3, 5]));
    const verify = await edgebench(['verify', 'models/constant/model.onnx', '--public-key', 'release.pub.pem']);
    expect(verify.exitCode).toBe(1);
    expect(verify.stdout).toMatch(/REFUSED: tampered: bias\.bin differs from the signed file/);

    await project.write(
      'suites/signed-constant.yaml',
      suiteYaml({
        dataset: 'data/bias.jsonl',
        variants: '  - {name: constant, precision: fp32, file: ../models/constant/model.onnx}',
        extra: 'signatures:\n  publicKeys: [../release.pub.pem]\n  required: true',
      }),
    );
    const run = await edgebench(['run', '--suite', 'suites/signed-constant.yaml', '--run-id', 'signed-constant', '--no-report']);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/variant "constant" is refused \(the suite requires signed models\): tampered: bias\.bin differs from the signed file/);
  });

  it('refuses external data that is a link to /etc/passwd, naming the model, the tensor, the location and the fix', async () => {
    await writeHiddenExternalData(project.path('models/passwd/model.onnx'), 'constant', { n: 4, location: 'weights.bin' });
    await symlink('/etc/passwd', project.path('models/passwd/weights.bin'));
    await project.write(
      'suites/passwd.yaml',
      suiteYaml({ dataset: 'data/bias.jsonl', variants: '  - {name: passwd, precision: fp32, file: ../models/passwd/model.onnx}' }),
    );
    const refused = await validate('suites/passwd.yaml');
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(
      /EXTERNAL_DATA_OUTSIDE: .*models\/passwd\/model\.onnx: graph node "Constant_B" attribute "value" reads "weights\.bin", which leads through a link to \/etc\/passwd, outside the model folder/,
    );
    expect(refused.stderr).toMatch(/fix: keep the external data files in the model's folder/);
    expect(refused.stdout).not.toMatch(/sha256/);
  });

  it("checks the label count against the classifier's logits before anything runs", async () => {
    for (const labels of ['[a, b, c]', `[${Array.from({ length: 20 }, (_, i) => `c${i}`).join(', ')}]`]) {
      const count = labels.split(',').length;
      const refused = await validate(await classifierSuite('labels', { extra: `classification:\n  labels: ${labels}` }));
      expect(refused.exitCode).toBe(2);
      expect(refused.stderr).toContain(
        `classification.labels: the suite lists ${count} labels, but variant "fp32" outputs 4 logits (its first output "logits" has shape [batch, 4])`,
      );
      expect(refused.stderr).toMatch(/fix: give exactly 4 class names, in logit order/);
    }
    await project.write('suites/labels.json', '["a", "b", "c"]');
    expect((await validate(await classifierSuite('labels', { extra: 'classification:\n  labels: labels.json' }))).stderr).toMatch(
      /labels\.json holds 3 labels, but variant "fp32" outputs 4 logits/,
    );
    expect((await validate(await classifierSuite('labels', { extra: 'classification:\n  labels: [a, b, c, d]' }))).exitCode).toBe(0);
  });

  it("refuses token ids that do not fit int64 exactly, or fall outside the model's vocabulary, naming the line and the field", async () => {
    const cases: [string, RegExp][] = [
      ['18446744073709551616', /ids\.jsonl:2: inputs\.input_ids: value 18446744073709551616 at position 1 is outside the int64 range/],
      [
        '9007199254740993',
        /ids\.jsonl:2: inputs\.input_ids: value 9007199254740992 at position 1 is beyond ±\(2\^53 − 1\), the largest integer a JSON number holds exactly/,
      ],
      [
        '50',
        /ids\.jsonl:2: inputs\.input_ids: id 50 at position 1 is outside the vocabulary of variant "fp32": "input_ids" indexes "embedding", which has 50 rows\n\s+fix: use ids from 0 to 49/,
      ],
      ['-1', /ids\.jsonl:2: inputs\.input_ids: id -1 at position 1 is outside the vocabulary/],
    ];
    for (const [id, expected] of cases) {
      const refused = await validate(await classifierSuite('ids', { lines: `{"inputs": {"input_ids": [[1, 2]]}}\n{"inputs": {"input_ids": [[1, ${id}]]}}\n` }));
      expect(refused.exitCode).toBe(2);
      expect(refused.stderr).toMatch(expected);
    }
    expect((await validate(await classifierSuite('ids', { lines: '{"inputs": {"input_ids": [[0, 49]]}}\n' }))).exitCode).toBe(0);
  });

  it('accepts a byte-order mark at the start of a dataset or labels file, and names one anywhere else', async () => {
    await project.write('suites/bom-labels.json', `${BOM}["a", "b", "c", "d"]`);
    const accepted = await validate(await classifierSuite('bom', { lines: BOM + datasetLines(3), extra: 'classification:\n  labels: bom-labels.json' }));
    expect(accepted.stderr).toBe('');
    expect(accepted.exitCode).toBe(0);

    const joined = await validate(await classifierSuite('bom', { lines: `${datasetLines(2)}${BOM}${datasetLines(1)}` }));
    expect(joined.exitCode).toBe(2);
    expect(joined.stderr).toMatch(/bom\.jsonl:3: not valid JSON: a byte-order mark \(U\+FEFF\) at column 1\n\s+fix: remove it/);

    const inLabel = await validate(await classifierSuite('bom', { lines: `{"inputs": {"input_ids": [[1, 2]]}, "label": "${BOM}b"}\n` }));
    expect(inLabel.stderr).toMatch(/bom\.jsonl:1: label: the text holds a byte-order mark \(U\+FEFF\)/);

    await project.write('suites/bom-labels.json', `["a", "${BOM}b", "c", "d"]`);
    const labelFile = await validate(await classifierSuite('bom', { lines: datasetLines(3), extra: 'classification:\n  labels: bom-labels.json' }));
    expect(labelFile.exitCode).toBe(2);
    expect(labelFile.stderr).toMatch(/bom-labels\.json: a byte-order mark \(U\+FEFF\) at line 1, column 8, after the start of the file/);

    const inline = await validate(await classifierSuite('bom', { lines: datasetLines(3), extra: `classification:\n  labels: [a, "${BOM}b", c, d]` }));
    expect(inline.stderr).toMatch(/classification\.labels\[1\]: label "\\uFEFFb" holds a byte-order mark \(U\+FEFF\)/);
  });

  it('says a model path is a folder, or a link loop, instead of blaming file permissions', async () => {
    await mkdir(project.path('models/folder.onnx'), { recursive: true });
    await symlink('loop-b.onnx', project.path('models/loop-a.onnx'));
    await symlink('loop-a.onnx', project.path('models/loop-b.onnx'));
    const cases: [string, RegExp][] = [
      ['folder.onnx', /folder\.onnx: the model path is a directory, not a regular file \(fix: name the \.onnx file inside the folder/],
      [
        'loop-a.onnx',
        /loop-a\.onnx: the model path is a symbolic link that leads back to itself \(a link loop\) \(fix: point the link at the real \.onnx file/,
      ],
    ];
    for (const [file, expected] of cases) {
      await project.write('suites/path.yaml', suiteYaml({ variants: `  - {name: odd, precision: fp32, file: ../models/${file}}` }));
      const refused = await validate('suites/path.yaml');
      expect(refused.exitCode).toBe(2);
      expect(refused.stderr).toMatch(expected);
      expect(refused.stderr).not.toMatch(/permission/);
    }
  });
});
