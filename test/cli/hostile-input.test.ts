import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Results } from '../../harness/core/results.ts';
import { smallProject, suiteYaml, type TempProject } from '../helpers/project.ts';

const BIN = fileURLToPath(new URL('../../bin/edgebench.js', import.meta.url));
/** A folder name a shell would run: anything that reaches a shell as a string creates the canary file. */
const HOSTILE = '$(touch canary-a); rm -rf nothing `touch canary-b` && touch canary-c | x';

let project: TempProject;
beforeAll(async () => {
  project = await smallProject();
  await mkdir(project.path(`models/${HOSTILE}`), { recursive: true });
  await copyFile(project.path('models/small/model.onnx'), project.path(`models/${HOSTILE}/model.onnx`));
  await project.write(
    'suites/hostile.yaml',
    suiteYaml({ variants: `  - name: plain\n    precision: fp32\n    file: ${JSON.stringify(`../models/${HOSTILE}/model.onnx`)}` }),
  );
  await project.write(
    'hostile-devices.yaml',
    'devices:\n  - id: host\n    kind: local\n  - id: low-end\n    kind: emulated\n    cpus: [0]\n    cpuQuota: 0.5\n    memoryMiB: 512\n    fallback: taskset\n',
  );
});
afterAll(() => project.cleanup());

describe('config values reach processes as data, never as shell code', () => {
  it('refuses a variant name in shell syntax, naming the rule', async () => {
    await project.write('suites/bad-name.yaml', suiteYaml({ variants: '  - {name: "x; rm -rf ~ $(id)", precision: fp32, file: ../models/small/model.onnx}' }));
    const refused = await execa(process.execPath, [BIN, 'validate', '--suite', 'suites/bad-name.yaml'], { cwd: project.dir, reject: false });
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(/variants\[0\]\.name: variant name must start with a letter or digit.*\n\s+fix: rename it following the rule above/);
  });

  it('runs a model whose path is shell syntax, on the local and the cgroup-wrapped device, and no shell runs them', async () => {
    const result = await execa(
      process.execPath,
      [BIN, 'run', '--suite', 'suites/hostile.yaml', '--devices', 'hostile-devices.yaml', '--run-id', 'hostile', '--no-report'],
      { cwd: project.dir, reject: false },
    );
    expect(result.exitCode, result.stderr).toBe(0);
    const results = Results.parse(JSON.parse(await readFile(project.path('reports/hostile/results.json'), 'utf8')));
    expect(results.cells.map((c) => [c.deviceId, c.variant.name, c.status])).toEqual([
      ['host', 'plain', 'ok'],
      ['low-end', 'plain', 'ok'],
    ]);
    expect(results.cells[0]!.variant.file).toContain(HOSTILE);
    for (const canary of ['canary-a', 'canary-b', 'canary-c']) {
      for (const where of [project.dir, project.path('suites'), project.path('models'), process.cwd()])
        expect(existsSync(`${where}/${canary}`), `${where}/${canary}`).toBe(false);
    }
  }, 120_000);
});
