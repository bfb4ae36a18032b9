import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { runnerBundle } from '../../harness/runner/bundle.ts';
import { planSideInputs } from '../../harness/runner/plan-side-inputs.ts';
import { webRunnerBundle } from '../../harness/runner/web/bundle.ts';

describe('runner bundles', () => {
  it("hold the tasks' runner sides and no plan-side code", async () => {
    // Each build checks its own inputs and throws on plan-side code.
    await expect(runnerBundle()).resolves.toMatch(/runner-[0-9a-f]{16}\.mjs$/);
    const page = await webRunnerBundle();
    expect(page).toContain('onnxruntime-web is not on the page');
    expect(page).not.toMatch(/from ["']onnxruntime-node["']/);
  });

  it('would notice plan-side code: the plan registry bundled on its own is all plan side', async () => {
    const result = await build({
      entryPoints: ['harness/tasks/plan-registry.ts'],
      bundle: true,
      platform: 'node',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
      packages: 'external',
    });
    expect(planSideInputs(result.metafile)).toEqual(
      expect.arrayContaining([
        'harness/tasks/plan-registry.ts',
        'harness/tasks/classify.plan.ts',
        'harness/tasks/generate.plan.ts',
        'harness/tasks/tokenizer.ts',
      ]),
    );
  });
});
