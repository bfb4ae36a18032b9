import { copyFile, readFile, stat, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Results } from '../../harness/core/results.ts';
import { smallProject, suiteYaml, type TempProject } from '../helpers/project.ts';

const BIN = fileURLToPath(new URL('../../bin/edgebench.js', import.meta.url));

let project: TempProject;
beforeAll(async () => {
  project = await smallProject();
  await copyFile(project.path('models/small/model.onnx'), project.path('models/small/unsigned.onnx'));
});
afterAll(() => project.cleanup());

const edgebench = (args: string[]) => execa(process.execPath, [BIN, ...args], { cwd: project.dir, reject: false, env: { NO_COLOR: '1' } });

describe('signed model bundles: keygen, sign, verify, and suites that require them (the real CLI)', () => {
  it("signs a model with a new key and verifies it; refuses a tampered model, a forged signature file and a stranger's key", async () => {
    const keygen = await edgebench(['keygen', 'release']);
    expect(keygen.exitCode).toBe(0);
    expect((await stat(project.path('release.key.pem'))).mode & 0o777).toBe(0o600);
    expect((await edgebench(['keygen', 'release'])).stderr).toMatch(/already exists: keys are never overwritten/);
    expect((await edgebench(['keygen', 'stranger'])).exitCode).toBe(0);

    const signed = await edgebench(['sign', 'models/small/model.onnx', '--key', 'release.key.pem']);
    expect(signed.exitCode).toBe(0);
    expect(signed.stdout).toMatch(/^models\/small\/model\.onnx\.sig\.json: 1 file\(s\), sha256 [0-9a-f]{64}, key [0-9a-f]{16}…$/m);
    const ok = await edgebench(['verify', 'models/small/model.onnx', '--public-key', 'release.pub.pem']);
    expect(ok.exitCode).toBe(0);
    expect(ok.stdout).toMatch(/models\/small\/model\.onnx: ok, signed by [0-9a-f]{16}…/);

    expect((await edgebench(['verify', 'models/small/model.onnx', '--public-key', 'stranger.pub.pem'])).stdout).toMatch(
      /REFUSED: signed by key [0-9a-f]{16}…, which is not among the trusted public keys/,
    );
    expect((await edgebench(['verify', 'models/small/unsigned.onnx', '--public-key', 'release.pub.pem'])).stdout).toMatch(
      /REFUSED: unsigned: .*unsigned\.onnx\.sig\.json not found/,
    );

    // A forged manifest: the hashes in the signature file are edited to match other files.
    const sigFile = project.path('models/small/model.onnx.sig.json');
    const original = await readFile(sigFile, 'utf8');
    await writeFile(
      sigFile,
      original.replace(/"bytes": (\d+)/, (_m, n: string) => `"bytes": ${Number(n) + 1}`),
    );
    const forged = await edgebench(['verify', 'models/small/model.onnx', '--public-key', 'release.pub.pem']);
    expect(forged.exitCode).toBe(1);
    expect(forged.stdout).toMatch(/REFUSED: the signature in .* does not match its manifest: the signature file was altered/);
    await writeFile(sigFile, original);

    // A tampered model: one byte of the weights.
    const model = await readFile(project.path('models/small/model.onnx'));
    const tampered = Buffer.from(model);
    tampered.writeUInt8(tampered.readUInt8(tampered.length - 1) ^ 1, tampered.length - 1);
    await writeFile(project.path('models/small/model.onnx'), tampered);
    const refused = await edgebench(['verify', 'models/small/model.onnx', '--public-key', 'release.pub.pem']);
    expect(refused.exitCode).toBe(1);
    expect(refused.stdout).toMatch(/REFUSED: tampered: model\.onnx differs from the signed file/);
    await writeFile(project.path('models/small/model.onnx'), model);
  });

  it('a suite that trusts a key runs signed variants, records the check, and refuses an unsigned one before running anything', async () => {
    const trusting = (variants: string) => suiteYaml({ variants, extra: 'signatures:\n  publicKeys: [../release.pub.pem]' });
    await project.write('suites/signed.yaml', trusting('  - {name: fp32, precision: fp32, file: ../models/small/model.onnx}'));
    const run = await edgebench(['run', '--suite', 'suites/signed.yaml', '--run-id', 'signed', '--no-report']);
    expect(run.exitCode).toBe(0);
    const results = Results.parse(JSON.parse(await readFile(project.path('reports/signed/results.json'), 'utf8')));
    expect(results.cells[0]!.variant.signature).toEqual({ verified: true, keyId: expect.stringMatching(/^[0-9a-f]{64}$/) });

    await project.write(
      'suites/mixed.yaml',
      trusting('  - {name: fp32, precision: fp32, file: ../models/small/model.onnx}\n  - {name: other, precision: fp32, file: ../models/small/unsigned.onnx}'),
    );
    const mixed = await edgebench(['run', '--suite', 'suites/mixed.yaml', '--run-id', 'mixed']);
    expect(mixed.exitCode).toBe(2);
    expect(mixed.stderr).toMatch(/variants\[1\].*variant "other" is refused \(the suite requires signed models\): unsigned/s);
    expect(mixed.stderr).toMatch(/edgebench sign .*unsigned\.onnx --key <private key>/);
  });

  it('a device that requires signed models refuses a suite that trusts no keys, naming the device', async () => {
    await project.write('strict-devices.yaml', 'devices:\n  - id: vault\n    kind: local\n    requireSignedModels: true\n');
    const refused = await edgebench(['run', '--suite', 'suites/small.yaml', '--devices', 'strict-devices.yaml', '--run-id', 'strict']);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(/strict-devices\.yaml.*devices\[0\]\.requireSignedModels.*device vault runs only signed models/s);
  });
});
