import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sshDriver } from '../../harness/devices/ssh.ts';
import { buildPlan } from '../../harness/plan/plan.ts';
import type { Results } from '../../harness/core/results.ts';
import { executePlan } from '../../harness/execute/execute-plan.ts';
import { smallProject, suiteYaml, type TempProject } from '../helpers/project.ts';
import { boardYaml, SSHD_BINARY, startSshd, type TestSshd } from '../helpers/sshd.ts';

let project: TempProject;
let sshd: TestSshd;

const TWO_VARIANTS =
  '  - name: a\n    precision: fp32\n    file: ../models/small/model.onnx\n  - name: b\n    precision: fp32\n    file: ../models/small/model.onnx';

beforeAll(async () => {
  if (!existsSync(SSHD_BINARY)) throw new Error(`${SSHD_BINARY} not found: install Debian's openssh-server (bash scripts/install-system-packages.sh does)`);
  [project, sshd] = await Promise.all([smallProject(), startSshd()]);
  await project.write('suites/two.yaml', suiteYaml({ iterations: 400, repeats: 2, variants: TWO_VARIANTS }));
});
afterAll(async () => {
  await sshd?.stop();
  await project?.cleanup();
});

/** A board: this machine through the test's real sshd. */
const board = () => boardYaml(sshd, { remoteDir: project.path('board-cache'), knownHosts: true });

async function run(name: string, devicesYaml: string): Promise<Results> {
  await project.write(`${name}.yaml`, devicesYaml);
  const plan = await buildPlan({ suiteFile: project.path('suites/two.yaml'), devicesFile: project.path(`${name}.yaml`) });
  try {
    return (await executePlan(plan, { outDir: project.path('reports'), runId: name })).results;
  } finally {
    await Promise.all(plan.devices.map(async (device) => (device.kind === 'ssh' ? sshDriver.release!(device) : undefined)));
  }
}

/** Every runner process as [device, start, end] in ms. */
const spans = (results: Results) =>
  results.cells.flatMap((cell) => cell.repeats!.map((r) => ({ device: cell.deviceId, start: Date.parse(r.startedAt), end: Date.parse(r.finishedAt) })));
const overlapping = (results: Results, a: string, b: string) =>
  spans(results)
    .filter((x) => x.device === a)
    .some((x) => spans(results).some((y) => y.device === b && x.start < y.end && y.start < x.end));

const overlapsItself = (results: Results, id: string) =>
  spans(results)
    .filter((s) => s.device === id)
    .some((x, i, all) => all.some((y, j) => i !== j && x.start < y.end && y.start < x.end));

describe('the scheduler runs devices side by side on real devices', () => {
  it('exclusive: the local host and an emulated device never overlap; an SSH board runs beside them', async () => {
    const results = await run(
      'exclusive',
      ['devices:', '  - id: host', '    kind: local', '  - id: low-end', '    kind: emulated', '    cpus: [0]', '    fallback: taskset', board()].join('\n'),
    );
    expect(results.cells.map((c) => [c.deviceId, c.status, c.repeats!.length])).toEqual([
      ['host', 'ok', 2],
      ['host', 'ok', 2],
      ['low-end', 'ok', 2],
      ['low-end', 'ok', 2],
      ['board', 'ok', 2],
      ['board', 'ok', 2],
    ]);
    expect(overlapping(results, 'host', 'low-end')).toBe(false);
    expect(overlapping(results, 'board', 'host') || overlapping(results, 'board', 'low-end')).toBe(true);
    // One process at a time on each device.
    for (const id of ['host', 'low-end', 'board']) expect(overlapsItself(results, id)).toBe(false);
    expect(results.scheduling).toMatchObject({
      policy: 'exclusive',
      shared: [{ resource: 'host', devices: ['host', 'low-end'], capacity: 1 }],
      peakConcurrency: 2,
    });
    expect(results.scheduling!.overhead!.perProcessMs.n).toBe(12);
    for (const cell of results.cells) for (const repeat of cell.repeats!) expect(repeat.overheadMs).toBeGreaterThan(0);
  }, 180_000);

  it('disjoint-cores: emulated devices pinned to different cores run together; the local host still runs alone', async () => {
    const results = await run(
      'disjoint',
      [
        'scheduling:',
        '  hostDevices: disjoint-cores',
        'devices:',
        '  - id: host',
        '    kind: local',
        '  - id: core0',
        '    kind: emulated',
        '    cpus: [0]',
        '    fallback: taskset',
        '  - id: core1',
        '    kind: emulated',
        '    cpus: [1]',
        '    fallback: taskset',
      ].join('\n'),
    );
    expect(results.cells.every((c) => c.status === 'ok')).toBe(true);
    expect(overlapping(results, 'core0', 'core1')).toBe(true);
    expect(overlapping(results, 'host', 'core0') || overlapping(results, 'host', 'core1')).toBe(false);
    expect(results.scheduling).toMatchObject({ policy: 'disjoint-cores', peakConcurrency: 2 });
  }, 180_000);

  it('parallel: false runs one process at a time, the board included', async () => {
    const results = await run('serial', ['scheduling:', '  parallel: false', 'devices:', '  - id: host', '    kind: local', board()].join('\n'));
    expect(overlapping(results, 'host', 'board')).toBe(false);
    expect(results.scheduling).toMatchObject({ policy: 'serial', peakConcurrency: 1 });
  }, 180_000);
});
