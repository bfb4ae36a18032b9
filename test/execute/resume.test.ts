import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceSpec } from '../../harness/core/device-spec.ts';
import type { RunnerEvent } from '../../harness/core/runner-protocol.ts';
import { processKey, scheduledKey } from '../../harness/execute/process-key.ts';
import { resumedRuns } from '../../harness/execute/resume.ts';
import type { PlannedVariant } from '../../harness/plan/plan.ts';
import { scheduleRuns } from '../../harness/plan/schedule.ts';
import { Journal, readJournal, type ReadJournal, type RunFingerprint } from '../../harness/results/journal.ts';
import type { RunnerOutcome } from '../../harness/runner/spawn.ts';
import { tempProject, type TempProject } from '../helpers/project.ts';

const TIMEOUT_MS = 60_000;
const LOST = { code: 'DEVICE_LOST', message: 'the renderer process exited mid-cell' };
const FINGERPRINT: RunFingerprint = {
  suiteFile: 's.yaml',
  devicesFile: 'd.yaml',
  suiteSha256: 'x',
  devicesSha256: 'y',
  datasetSha256: 'z',
  variants: { a: '1', b: '2' },
  repeats: 3,
};

const plan = {
  devices: [DeviceSpec.parse({ id: 'd1', kind: 'local' }), DeviceSpec.parse({ id: 'd2', kind: 'local' })],
  variants: [{ variant: { name: 'a' } }, { variant: { name: 'b' } }] as PlannedVariant[],
};

const outcome = (over: Partial<RunnerOutcome> = {}): RunnerOutcome => ({
  events: [],
  exitCode: 0,
  signal: undefined,
  timedOut: false,
  canceled: false,
  stderrTail: '',
  strayLines: [],
  ...over,
});
const done: RunnerEvent = { type: 'done' };

let project: TempProject;
let journal: ReadJournal;

/** A run's journal as the runner processes of a run that stopped half way left it. */
beforeAll(async () => {
  project = await tempProject();
  const file = project.path('run', 'journal.jsonl');
  const written = Journal.create(file, { type: 'run', runId: 'r', startedAt: new Date(0).toISOString(), fingerprint: FINGERPRINT });
  const ran = (device: string, variant: string, repeat: number, ended: RunnerOutcome | undefined, events: RunnerEvent[] = []) => {
    const where = { device, variant, repeat };
    const attempt = written.start(where, new Date(1000 * repeat));
    for (const event of events) written.event(attempt, event);
    if (ended) written.end({ ...where, attempt }, new Date(1000 * repeat + 500), { ...ended, events });
  };
  ran('d1', 'a', 1, outcome(), [done]);
  ran('d1', 'a', 2, outcome({ timedOut: true, exitCode: undefined, signal: 'SIGTERM' }));
  ran('d1', 'a', 3, outcome({ deviceFailure: LOST, exitCode: undefined }));
  ran('d1', 'a', 3, outcome(), [done]);
  ran('d1', 'b', 1, outcome({ exitCode: 1 }), [{ type: 'error', code: 'MODEL_LOAD_FAILED', message: 'cannot load' }]);
  ran('d1', 'b', 2, outcome({ signal: 'SIGKILL', exitCode: undefined }));
  ran('d1', 'b', 3, outcome({ deviceFailure: LOST, exitCode: undefined }));
  ran('d2', 'a', 1, outcome({ canceled: true, exitCode: undefined, signal: 'SIGTERM' }));
  ran('d2', 'b', 1, undefined, [{ type: 'done' }]);
  ran('gone', 'a', 1, outcome(), [done]);
  journal = await readJournal(file);
});
afterAll(() => project.cleanup());

describe('a resumed run starts from the processes its journal holds', () => {
  it('skips the processes that ended with a result, and runs the rest of the schedule', () => {
    const resumed = resumedRuns(plan, journal.completed, TIMEOUT_MS);
    const order = scheduleRuns(plan, { repeats: 3, seed: 'r' });
    const skipped = order.filter((run) => resumed.done.has(scheduledKey(run))).map(scheduledKey);
    // Kept: a completed process, a process completed after an attempt the device lost, and a model that fails to load (that is its result).
    expect(skipped.sort()).toEqual(
      [
        processKey({ device: 'd1', variant: 'a', repeat: 1 }),
        processKey({ device: 'd1', variant: 'a', repeat: 3 }),
        processKey({ device: 'd1', variant: 'b', repeat: 1 }),
      ].sort(),
    );
    // Run again: a timeout, a runner killed from outside, a lost last attempt, one stopped by Ctrl-C, one that never ended, and all never started.
    expect(order.length - skipped.length).toBe(9);
  });

  it('keeps the processes of each cell in repeat order, with the attempts the device lost on their repeat', () => {
    const { kept } = resumedRuns(plan, journal.completed, TIMEOUT_MS);
    expect(
      kept.map(({ device, variant, runs }) => ({ cell: `${device.id}/${variant.variant.name}`, repeats: runs.map((r) => r.startedAt.getTime() / 1000) })),
    ).toEqual([
      { cell: 'd1/a', repeats: [1, 3] },
      { cell: 'd1/b', repeats: [1] },
    ]);
    const [a, b] = kept;
    expect(a!.runs[0]!.lostAttempts).toBeUndefined();
    expect(a!.runs[1]!.lostAttempts).toEqual([LOST]);
    expect(a!.runs[1]!.outcome.events).toEqual([done]);
    expect(b!.runs[0]!.outcome.events).toEqual([{ type: 'error', code: 'MODEL_LOAD_FAILED', message: 'cannot load' }]);
  });

  it('carries the attempts lost so far onto a process whose last attempt the device lost', () => {
    const { lostBefore } = resumedRuns(plan, journal.completed, TIMEOUT_MS);
    expect([...lostBefore]).toEqual([[processKey({ device: 'd1', variant: 'b', repeat: 3 }), [LOST]]]);
  });
});
