import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunnerEvent, RunnerJob } from '../../harness/core/runner-protocol.ts';
import { localDriver } from '../../harness/devices/local.ts';
import { lostByDevice } from '../../harness/execute/lost-by-device.ts';
import { PAIRED_ROUND_LOST, pairedJob, splitPairedOutcome } from '../../harness/runner/paired-round.ts';
import type { RunnerOutcome } from '../../harness/runner/spawn.ts';
import { tempProject, writeSmallModel, type TempProject } from '../helpers/project.ts';

const host = { id: 'host', kind: 'local' } as const;
const names = { host: 'a', partner: 'b' };

function job(path: string): RunnerJob {
  return {
    modelPath: path,
    task: { kind: 'classify' },
    warmup: 2,
    iterations: 6,
    runtime: { intraOpThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential' },
    examples: [
      { id: 'e0', feeds: { input_ids: { type: 'int64', dims: [1, 3], data: [1, 2, 3] } } },
      { id: 'e1', feeds: { input_ids: { type: 'int64', dims: [1, 3], data: [4, 5, 6] } } },
    ],
  };
}

const timedLatencies = (events: readonly RunnerEvent[]) => events.flatMap((e) => (e.type === 'samples' && e.phase === 'timed' ? e.latenciesMs : []));

describe('a paired round: both variants in one real runner process (onnxruntime-node)', () => {
  let project: TempProject;
  let modelA: string;
  let modelB: string;
  beforeAll(async () => {
    project = await tempProject();
    modelA = await writeSmallModel(project, 'models/a.onnx');
    // Another model, so each output shows which variant computed it.
    modelB = await writeSmallModel(project, 'models/b.onnx', { shape: { seed: 7 } });
  });
  afterAll(() => project.cleanup());

  it("runs both, alternating A B then B A, and each variant's events carry only its own measurements", async () => {
    const outcome = await localDriver.runCell(host, pairedJob(job(modelA), job(modelB)), { timeoutMs: 60_000 });
    expect(outcome.strayLines).toEqual([]);
    expect(outcome.events.at(-1)).toEqual({ type: 'done' });
    // Outputs are sent the first time the timed loop runs an example: iteration 0 runs A then B, iteration 1 B then A.
    const outputs = outcome.events.flatMap((e) =>
      e.type === 'output' ? [`a:${e.exampleId}`] : e.type === 'partner' && e.event.type === 'output' ? [`b:${e.event.exampleId}`] : [],
    );
    expect(outputs).toEqual(['a:e0', 'b:e0', 'b:e1', 'a:e1']);

    const { host: a, partner: b } = splitPairedOutcome(outcome, names);
    for (const side of [a, b]) {
      expect(side.events.filter((e) => e.type === 'hello')).toHaveLength(1);
      expect(side.events.filter((e) => e.type === 'samples' && e.phase === 'warmup').flatMap((e) => (e as { latenciesMs: number[] }).latenciesMs)).toHaveLength(
        2,
      );
      expect(timedLatencies(side.events)).toHaveLength(6);
      expect(side.events.at(-1)).toEqual({ type: 'done' });
      // Neither variant gets the process's peak memory (both models), nor resident-set readings around its load.
      expect(side.events.some((e) => e.type === 'memory')).toBe(false);
      expect(side.events.find((e) => e.type === 'loaded')).toEqual({ type: 'loaded', loadMs: expect.any(Number) });
      expect(side.devicePeakMemory).toBeUndefined();
      // Its timed phase is its own iterations, not the partner's: its wall time is the sum of what it measured, give or take the clock's grain.
      const end = side.events.find((e) => e.type === 'timed-phase' && e.edge === 'end') as { wallMs: number; cpuMs: number };
      const own = timedLatencies(side.events).reduce((sum, x) => sum + x, 0);
      expect(end.wallMs).toBeGreaterThanOrEqual(own * 0.99);
      expect(end.cpuMs).toBeGreaterThan(0);
      expect(lostByDevice(side)).toBe(false);
    }
    expect(a.pairedWith).toBe('b');
    expect(b.pairedWith).toBe('a');
    const logits = (events: readonly RunnerEvent[]) => events.flatMap((e) => (e.type === 'output' && e.output.kind === 'classify' ? [e.output.logits] : []));
    expect(logits(a.events)).toHaveLength(2);
    expect(logits(a.events)).not.toEqual(logits(b.events));
  }, 90_000);

  it('a partner that fails to load fails alone; the host is lost to the round, to run again alone', async () => {
    const broken = project.path('broken.onnx');
    await writeFile(broken, 'not a model');
    const outcome = await localDriver.runCell(host, pairedJob(job(modelA), job(broken)), { timeoutMs: 60_000 });
    const { host: a, partner: b } = splitPairedOutcome(outcome, names);
    expect(b.events.find((e) => e.type === 'error')).toMatchObject({ code: 'MODEL_LOAD_FAILED' });
    expect(lostByDevice(b)).toBe(false);
    expect(a.events.some((e) => e.type === 'error')).toBe(false);
    expect(a.deviceFailure).toMatchObject({ code: PAIRED_ROUND_LOST, message: expect.stringContaining('b failed in it (MODEL_LOAD_FAILED') });
    expect(lostByDevice(a)).toBe(true);
  }, 90_000);

  it('the runner refuses a paired job that also counts instructions', async () => {
    const outcome = await localDriver.runCell(host, { ...pairedJob(job(modelA), job(modelB)), callgrindAddon: '/nonexistent' }, { timeoutMs: 60_000 });
    expect(outcome.events.find((e) => e.type === 'error')).toMatchObject({ code: 'JOB_INVALID', message: expect.stringContaining('paired round') });
  }, 60_000);
});

describe('splitting a paired process that did not finish', () => {
  const base = (events: RunnerEvent[], extra: Partial<RunnerOutcome> = {}): RunnerOutcome => ({
    events,
    exitCode: 1,
    signal: undefined,
    timedOut: false,
    canceled: false,
    stderrTail: '',
    strayLines: [],
    ...extra,
  });
  const started: RunnerEvent[] = [
    { type: 'loaded', loadMs: 5, rssBeforeLoad: { bytes: 1, method: 'm' }, rssAfterLoad: { bytes: 2, method: 'm' } },
    { type: 'partner', event: { type: 'loaded', loadMs: 4 } },
  ];

  it('a time-out or a killed process loses both variants to the round; neither gets the failure as its own', () => {
    for (const outcome of [base(started, { timedOut: true, exitCode: undefined }), base(started, { signal: 'SIGKILL', exitCode: undefined })]) {
      const { host: a, partner: b } = splitPairedOutcome(outcome, names);
      for (const side of [a, b]) {
        expect(lostByDevice(side)).toBe(true);
        expect(side.timedOut).toBe(false);
      }
      expect(a.deviceFailure!.message).toContain('shared with b');
      expect(b.deviceFailure!.message).toContain('shared with a');
    }
  });

  it('a host that failed itself keeps its failure, and its partner is lost; Ctrl-C stays an interruption for both', () => {
    const failed = splitPairedOutcome(base([...started, { type: 'error', code: 'INFERENCE_FAILED', message: 'boom' }]), names);
    expect(failed.host.deviceFailure).toBeUndefined();
    expect(failed.host.events.at(-1)).toMatchObject({ type: 'error', code: 'INFERENCE_FAILED' });
    expect(failed.partner.deviceFailure).toMatchObject({
      code: PAIRED_ROUND_LOST,
      message: expect.stringContaining('a failed in it (INFERENCE_FAILED: boom)'),
    });
    const interrupted = splitPairedOutcome(base(started, { canceled: true, exitCode: undefined }), names);
    for (const side of [interrupted.host, interrupted.partner]) {
      expect(side.canceled).toBe(true);
      expect(lostByDevice(side)).toBe(false);
    }
  });
});
