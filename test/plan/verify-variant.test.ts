import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlan } from '../../harness/plan/plan.ts';
import { variantChanged } from '../../harness/plan/verify-variant.ts';
import { executePlan } from '../../harness/execute/execute-plan.ts';
import { smallProject, suiteYaml, type TempProject } from '../helpers/project.ts';

let project: TempProject;
beforeAll(async () => {
  project = await smallProject();
  await copyFile(project.path('models/small/model.onnx'), project.path('models/small/copy.onnx'));
  await project.write(
    'suites/pair.yaml',
    suiteYaml({
      variants: '  - {name: kept, precision: fp32, file: ../models/small/model.onnx}\n  - {name: swapped, precision: fp32, file: ../models/small/copy.onnx}',
    }),
  );
});
afterAll(() => project.cleanup());

describe('the variant is checked against its hash before every runner process', () => {
  it('runs an unchanged variant, and refuses one whose file was replaced after planning, naming both hashes', async () => {
    const plan = await buildPlan({ suiteFile: project.path('suites/pair.yaml'), devicesFile: project.path('devices.yaml') });
    expect(await variantChanged(plan.variants[1]!)).toBeUndefined();
    // Same size, one byte different: only the hash can tell.
    const bytes = await readFile(project.path('models/small/copy.onnx'));
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 0xff, bytes.length - 1);
    await writeFile(project.path('models/small/copy.onnx'), bytes);

    const { results } = await executePlan(plan, { outDir: project.path('reports'), runId: 'tampered' });
    const [kept, swapped] = results.cells;
    expect(kept).toMatchObject({ status: 'ok' });
    expect(swapped).toMatchObject({
      status: 'failed',
      error: {
        code: 'MODEL_CHANGED',
        message: expect.stringMatching(/^variant swapped: copy\.onnx changed since the run was planned \(sha256 [0-9a-f]{12}… then, [0-9a-f]{12}… now\)/),
      },
    });
    expect(swapped!.samples).toEqual([]);
  });

  it('says when a file is gone', async () => {
    const plan = await buildPlan({ suiteFile: project.path('suites/small.yaml'), devicesFile: project.path('devices.yaml') });
    const { variant } = plan.variants[0]!;
    const moved = { ...variant, files: variant.files.map((f) => ({ ...f, path: 'none.onnx' })) };
    expect(await variantChanged({ modelPath: plan.variants[0]!.modelPath, variant: moved })).toMatch(/none\.onnx is gone since the run was planned/);
  });
});
