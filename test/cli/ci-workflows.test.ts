import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildPlan } from '../../harness/plan/plan.ts';
import { buildDemoModels } from '../../scripts/demo/build.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/edgebench.js', import.meta.url));

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, string>;
}
interface Workflow {
  on: unknown;
  jobs: Record<string, { steps: Step[] }>;
}

const action = async () => parse(await readFile(`${ROOT}action.yml`, 'utf8')) as { inputs: Record<string, { required?: boolean; default?: string }> };
const workflow = async (file: string) => parse(await readFile(`${ROOT}${file}`, 'utf8')) as Workflow;
/** The steps that run this repository's action: `./` here, `<owner>/edgebench@<ref>` in a user's repository. */
const gateSteps = (w: Workflow) => Object.values(w.jobs).flatMap((job) => job.steps.filter((s) => s.uses === './' || /\/edgebench@/.test(s.uses ?? '')));

describe('GitHub workflows', () => {
  it("give the action only inputs it declares, and every input it requires (this repository's and the one to copy)", async () => {
    const { inputs } = await action();
    const files = [...(await readdir(`${ROOT}.github/workflows`)).map((f) => `.github/workflows/${f}`), 'docs/ci/github-workflow.yml'];
    expect(files.length).toBeGreaterThan(1);
    for (const file of files) {
      const steps = gateSteps(await workflow(file));
      expect(steps.length, file).toBeGreaterThan(0);
      for (const step of steps) {
        const given = Object.keys(step.with ?? {});
        expect(
          given.filter((name) => !(name in inputs)),
          `${file}: inputs action.yml does not declare`,
        ).toEqual([]);
        const required = Object.entries(inputs)
          .filter(([, input]) => input.required)
          .map(([name]) => name);
        expect(
          required.filter((name) => !given.includes(name)),
          `${file}: required inputs left out`,
        ).toEqual([]);
      }
    }
  });

  it("runs the repository's demo gate on models its own steps build, between two variants the suite has", async () => {
    const demo = await workflow('.github/workflows/edgebench-demo-gate.yml');
    const steps = Object.values(demo.jobs).flatMap((job) => job.steps);
    const [gate] = gateSteps(demo);
    // The models are built before the gate reads them.
    const build = steps.findIndex((s) => /npm run build:demo-models/.test(s.run ?? ''));
    expect(build).toBeGreaterThanOrEqual(0);
    expect(build).toBeLessThan(steps.indexOf(gate!));
    await buildDemoModels(`${ROOT}models/demo`);
    const plan = await buildPlan({ suiteFile: `${ROOT}${gate!.with!.suite}`, devicesFile: `${ROOT}${gate!.with!.devices ?? 'devices.yaml'}` });
    const variants = plan.variants.map((v) => v.variant.name);
    expect(variants).toContain(gate!.with!.baseline);
    expect(variants).toContain(gate!.with!.candidate);
  }, 120_000);

  it("GitLab's job runs a gate whose every flag edgebench gate knows, and keeps that run's folder and JUnit", async () => {
    type Job = { script: string[]; artifacts: { paths: string[]; reports: { junit: string } } };
    const job = (parse(await readFile(`${ROOT}docs/ci/gitlab-ci.yml`, 'utf8')) as Record<string, Job>)['edgebench-gate']!;
    const command = job.script.find((line) => /edgebench gate /.test(line))!;
    const help = (await execa(process.execPath, [BIN, 'gate', '--help'])).stdout;
    const flags = [...command.matchAll(/\s(--[\w-]+)/g)].map((m) => m[1]!);
    expect(flags).toEqual(expect.arrayContaining(['--suite', '--baseline', '--candidate', '--run-id']));
    for (const flag of flags) expect(help, flag).toContain(`${flag} `);
    const runId = /--run-id (\S+)/.exec(command)![1];
    expect(job.artifacts.paths).toEqual([`reports/${runId}/`]);
    expect(job.artifacts.reports.junit).toBe(`reports/${runId}/junit.xml`);
  });
});
