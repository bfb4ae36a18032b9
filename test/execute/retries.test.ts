import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlan } from '../../harness/plan/plan.ts';
import { executePlan } from '../../harness/execute/execute-plan.ts';
import { smallProject, suiteYaml, type TempProject } from '../helpers/project.ts';

let project: TempProject;
beforeAll(async () => {
  project = await smallProject();
  await project.write('browser-devices.yaml', 'devices:\n  - id: page\n    kind: browser\n');
});
afterAll(() => project.cleanup());

/** Kills the page's renderer the first time the journal shows it measuring: a device lost mid-cell, for real. */
function loseTheFirstRenderer(journalFile: string): { stop(): void; killed(): number | undefined } {
  let killed: number | undefined;
  const poll = setInterval(() => {
    if (killed !== undefined || !existsSync(journalFile)) return;
    const lines = readFileSync(journalFile, 'utf8').split('\n');
    const hello = lines.find((l) => l.includes('"type":"hello"'));
    if (!hello || !lines.some((l) => l.includes('"phase":"timed"'))) return;
    killed = (JSON.parse(hello) as { event: { pid: number } }).event.pid;
    process.kill(killed, 'SIGKILL');
  }, 50);
  return { stop: () => clearInterval(poll), killed: () => killed };
}

describe("runner processes the device loses are run again, up to the suite's retries", () => {
  it('retries a lost browser page once and records the lost attempt on its repeat', async () => {
    await project.write('suites/retry.yaml', suiteYaml({ iterations: 20_000, extra: 'retries: 1' }));
    const plan = await buildPlan({ suiteFile: project.path('suites/retry.yaml'), devicesFile: project.path('browser-devices.yaml') });
    const chaos = loseTheFirstRenderer(project.path('reports/retried/journal.jsonl'));
    const lost: string[] = [];
    const { results } = await executePlan(plan, {
      outDir: project.path('reports'),
      runId: 'retried',
      progress: { attemptLost: (_d, _v, failure) => lost.push(failure.code) },
    });
    chaos.stop();
    expect(chaos.killed()).toBeDefined();
    expect(lost).toEqual(['DEVICE_LOST']);
    const [cell] = results.cells;
    expect(cell).toMatchObject({ status: 'ok' });
    expect(cell!.samples).toHaveLength(20_000);
    expect(cell!.repeats![0]!.lostAttempts).toEqual([{ code: 'DEVICE_LOST', message: expect.stringMatching(/renderer process \(pid \d+\) exited mid-cell/) }]);
  }, 120_000);

  it("with retries: 0 the lost attempt is the cell's failure, samples kept", async () => {
    await project.write('suites/no-retry.yaml', suiteYaml({ iterations: 20_000, extra: 'retries: 0' }));
    const plan = await buildPlan({ suiteFile: project.path('suites/no-retry.yaml'), devicesFile: project.path('browser-devices.yaml') });
    const chaos = loseTheFirstRenderer(project.path('reports/not-retried/journal.jsonl'));
    const { results } = await executePlan(plan, { outDir: project.path('reports'), runId: 'not-retried' });
    chaos.stop();
    const [cell] = results.cells;
    expect(cell).toMatchObject({ status: 'failed', error: { code: 'DEVICE_LOST' } });
    expect(cell!.samples.length).toBeGreaterThan(0);
    expect(cell!.repeats![0]!.lostAttempts).toBeUndefined();
  }, 120_000);
});
