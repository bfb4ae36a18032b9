import { chmod, copyFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smallProject, suiteYaml, type TempProject } from '../helpers/project.ts';

const BIN = fileURLToPath(new URL('../../bin/edgebench.js', import.meta.url));

let project: TempProject;
beforeAll(async () => {
  project = await smallProject();
  await copyFile(project.path('models/small/model.onnx'), project.path('models/small/quantized.onnx'));
  const keygen = await edgebench(['keygen', 'release']);
  expect(keygen.exitCode, keygen.stderr).toBe(0);
});
afterAll(() => project.cleanup());

const edgebench = (args: string[]) => execa(process.execPath, [BIN, ...args], { cwd: project.dir, reject: false, env: { NO_COLOR: '1' }, timeout: 120_000 });

describe('hostile files on the command line (the real CLI): keys, manifests and paths that are not files', () => {
  it('refuses a private key others may read, with the chmod that fixes it, as ssh does', async () => {
    for (const [mode, who] of [
      [0o644, 'its group and all users \\(mode 644\\)'],
      [0o640, 'its group \\(mode 640\\)'],
      [0o604, 'all users \\(mode 604\\)'],
    ] as const) {
      await chmod(project.path('release.key.pem'), mode);
      const refused = await edgebench(['sign', 'models/small/model.onnx', '--key', 'release.key.pem']);
      expect(refused.exitCode).toBe(2);
      expect(refused.stderr).toMatch(
        new RegExp(
          `release\\.key\\.pem: the private key is accessible to ${who}: a signing key must be private to its owner\\n\\s+fix: chmod 600 release\\.key\\.pem`,
        ),
      );
    }
    await chmod(project.path('release.key.pem'), 0o600);
    expect((await edgebench(['sign', 'models/small/model.onnx', '--key', 'release.key.pem'])).exitCode).toBe(0);
  });

  it('names a --public-key file that is not a public key, and says what format is expected', async () => {
    await project.write('notes.txt', 'this is not a key\n');
    const text = await edgebench(['verify', 'models/small/model.onnx', '--public-key', 'notes.txt']);
    expect(text.exitCode).toBe(2);
    expect(text.stderr).toMatch(/notes\.txt: not a public key: edgebench expects an ed25519 public key, PEM \("-----BEGIN PUBLIC KEY-----"\) or DER \(SPKI\)/);
    expect(text.stderr).toMatch(/fix: list the <name>\.pub\.pem file made by edgebench keygen/);
    const privateKey = await edgebench(['verify', 'models/small/model.onnx', '--public-key', 'release.key.pem']);
    expect(privateKey.exitCode).toBe(2);
    expect(privateKey.stderr).toMatch(/release\.key\.pem: this is a private key, not a public key/);
    const device = await edgebench(['verify', 'models/small/model.onnx', '--public-key', '/dev/zero']);
    expect(device.exitCode).toBe(2);
    expect(device.stderr).toMatch(/\/dev\/zero: the public key is a character device .*, not a regular file/);
  });

  it('names a damaged quantize manifest beside a model being signed or verified', async () => {
    const manifest = project.path('models/small/quantized.manifest.json');
    await writeFile(manifest, '{"schemaVersion": 1, "tool": ');
    const sign = await edgebench(['sign', 'models/small/quantized.onnx', '--key', 'release.key.pem']);
    expect(sign.exitCode).toBe(2);
    expect(sign.stderr).toContain(`${manifest}: the quantize manifest is not valid JSON`);
    expect(sign.stderr).toMatch(/fix: the manifest is damaged: restore it, or run edgebench quantize again/);

    await writeFile(manifest, '{"schemaVersion": 2}\n');
    expect((await edgebench(['sign', 'models/small/quantized.onnx', '--key', 'release.key.pem'])).stderr).toContain(
      `${manifest}: not a valid edgebench quantize manifest: schemaVersion: `,
    );
    // Signed without the manifest, then one appears damaged beside it: the bundle is not what was signed.
    await rm(manifest);
    expect((await edgebench(['sign', 'models/small/quantized.onnx', '--key', 'release.key.pem'])).exitCode).toBe(0);
    await writeFile(manifest, '[]');
    const verify = await edgebench(['verify', 'models/small/quantized.onnx', '--public-key', 'release.pub.pem']);
    expect(verify.exitCode).toBe(1);
    expect(verify.stdout).toContain(`models/small/quantized.onnx: REFUSED: tampered: ${manifest}: not a valid edgebench quantize manifest`);
  });

  it('refuses a suite that is a FIFO, and a variant whose model path is /dev/zero, saying what they are', async () => {
    await execa('mkfifo', [project.path('suites/pipe.yaml')]);
    const fifo = await edgebench(['validate', '--suite', 'suites/pipe.yaml']);
    expect(fifo.exitCode).toBe(2);
    expect(fifo.stderr).toMatch(
      /suites\/pipe\.yaml: the suite file is a named pipe \(FIFO\), not a regular file\n\s+fix: point edgebench at the suite file itself/,
    );

    await project.write('suites/zero.yaml', suiteYaml({ variants: '  - {name: zero, precision: fp32, file: /dev/zero}' }));
    const zero = await edgebench(['validate', '--suite', 'suites/zero.yaml']);
    expect(zero.exitCode).toBe(2);
    expect(zero.stderr).toMatch(
      /variants\[0\]\.file: .*dev\/zero: the model path is a character device .*, not a regular file \(fix: name the \.onnx file itself/,
    );
  });
});
