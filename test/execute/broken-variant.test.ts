import { truncate, stat, copyFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlan } from '../../harness/plan/plan.ts';
import { executePlan } from '../../harness/execute/execute-plan.ts';
import { smallProject, suiteYaml, type TempProject } from '../helpers/project.ts';

let project: TempProject;
beforeAll(async () => {
  project = await smallProject();
  await copyFile(project.path('models/small/model.onnx'), project.path('models/small/truncated.onnx'));
  const file = project.path('models/small/truncated.onnx');
  await truncate(file, Math.floor((await stat(file)).size / 2));
});
afterAll(() => project.cleanup());

describe('a broken model fails its own cells, and the run goes on', () => {
  it('measures the good variant and records the missing and the truncated one with their reasons, running nothing for them', async () => {
    await project.write(
      'suites/mixed.yaml',
      suiteYaml({
        repeats: 2,
        variants:
          '  - {name: good, precision: fp32, file: ../models/small/model.onnx}\n  - {name: gone, precision: int8, file: ../models/small/gone.onnx}\n  - {name: cut, precision: int4, file: ../models/small/truncated.onnx}',
      }),
    );
    const plan = await buildPlan({ suiteFile: project.path('suites/mixed.yaml'), devicesFile: project.path('devices.yaml') });
    const { results } = await executePlan(plan, { outDir: project.path('reports'), runId: 'mixed' });
    const byName = Object.fromEntries(results.cells.map((c) => [c.variant.name, c]));
    expect(byName.good).toMatchObject({ status: 'ok' });
    expect(byName.good!.samples).toHaveLength(50);
    expect(byName.gone).toMatchObject({
      status: 'failed',
      error: { code: 'MODEL_NOT_FOUND', message: expect.stringMatching(/variants\[1\]\.file: .*gone\.onnx: model file not found \(fix: check the path/) },
    });
    expect(byName.cut).toMatchObject({
      status: 'failed',
      error: { code: 'MODEL_CORRUPT', message: expect.stringMatching(/not a valid ONNX model \(truncated or corrupt\)/) },
    });
    // Nothing is made up for them: no runner ran, no size or hash is claimed.
    for (const cell of [byName.gone!, byName.cut!]) {
      expect(cell.samples).toEqual([]);
      expect(cell.repeats).toHaveLength(1);
      expect(cell.variant).toMatchObject({ files: [], sha256: 'unavailable' });
      expect(cell.metrics.diskBytes).toMatchObject({ source: 'unavailable' });
    }
  });
});
